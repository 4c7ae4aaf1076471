#include <msgpack.h>

/* msgpack_sbuffer_write is static inline; a named function pointer to it is easier to
   hand to msgpack_packer_init from Swift than the inline function itself. */
static inline msgpack_packer_write garrison_msgpack_sbuffer_writer(void) {
    return msgpack_sbuffer_write;
}
