#!/usr/bin/env python3
"""Makes an upgrade fixture: the database of an older Garrison, with data in it.

usage: make_fixture.py OLD_CHECKOUT OUT_PREFIX

OLD_CHECKOUT is a checkout of the old commit with `swift build` done for the products
garrison, ChecksPlugin, ScriptingPlugin and TwoFactorPlugin (debug). The script serves it on
its embedded defaults (private PostgreSQL, plain HTTP on a loopback port) with the three
plugins, creates through the API what an installation has -- a client and site, an operator
with a role and an enrolled second factor, agents with checks and results, a script -- then
dumps the database (plain SQL, owners kept) to OUT_PREFIX.sql and writes what the upgrade test
needs to know (passwords, TOTP secret, agent tokens, the two-factor key) to OUT_PREFIX.json.
Nothing here is a real secret: the fixture exists to be read by the test.
"""
import base64, json, os, shutil, signal, socket, subprocess, sys, tempfile, time, urllib.request

import pyotp

old, prefix = sys.argv[1], sys.argv[2]
build = os.path.join(old, ".build", "debug")
work = tempfile.mkdtemp(prefix="garrison-fixture-")
os.chmod(work, 0o755)
data = os.path.join(work, "data")
plugins = os.path.join(work, "plugins.d")
os.makedirs(plugins)
os.chmod(plugins, 0o755)
key = base64.b64encode(bytes(range(32))).decode()   # fixed: the test loads the plugin with it
files = {
    "10-twofactor.toml": ("libTwoFactorPlugin.so", f'required = false\nsecret_key = "{key}"'),
    "40-checks.toml": ("libChecksPlugin.so", ""),
    "50-scripting.toml": ("libScriptingPlugin.so", ""),
}
for name, (library, settings) in files.items():
    path = os.path.join(plugins, name)
    with open(path, "w") as f:
        f.write(f'library = "{os.path.join(build, library)}"\nenabled = true\nrequired = true\n\n[settings]\n{settings}\n')
    os.chmod(path, 0o644)

s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
with open(os.path.join(work, "garrison.toml"), "w") as f:
    f.write(f'[server]\nhost = "127.0.0.1"\nport = {port}\nplain_http = true\n[data]\ndir = "{data}"\n[plugins]\ndir = "{plugins}"\n')
env = {k: v for k, v in os.environ.items() if not k.startswith("GARRISON_")}
log = open(os.path.join(work, "serve.log"), "w")
serve = subprocess.Popen([os.path.join(build, "garrison"), "serve", "--config", os.path.join(work, "garrison.toml")], stdout=log, stderr=log, env=env)
base = f"http://127.0.0.1:{port}"


def call(method, path, token=None, body=None, expect=200):
    request = urllib.request.Request(base + path, method=method, data=None if body is None else json.dumps(body).encode())
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", "Token " + token)
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            status, text = reply.status, reply.read().decode()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode()
    if status != expect:
        raise SystemExit(f"{method} {path}: {status} {text}")
    return json.loads(text) if text else None


try:
    for _ in range(600):
        try:
            urllib.request.urlopen(base + "/core/status/", timeout=2)
            break
        except Exception:
            time.sleep(0.2)
    else:
        raise SystemExit("the old garrison did not start; see " + log.name)
    admin_password = open(os.path.join(data, "initial-admin-password")).read().strip()
    admin = call("POST", "/v2/login/", body={"username": "admin", "password": admin_password})["token"]
    call("POST", "/clients/", admin, {"client": {"name": "Fixture Co"}, "site": {"name": "HQ"}})
    site = call("GET", "/clients/", admin)[0]["sites"][0]["id"]
    role = call("POST", "/accounts/roles/", admin, {"name": "Technicians", "can_list_agents": True, "can_list_checks": True,
                                                     "can_list_scripts": True})["id"]
    call("POST", "/accounts/users/", admin, {"username": "operator1", "password": "operator1-password", "role": role})
    operator = call("POST", "/v2/login/", body={"username": "operator1", "password": "operator1-password"})["token"]
    secret = call("POST", "/accounts/users/setup_totp/", operator)["secret"]
    totp = pyotp.TOTP(secret)
    call("POST", "/accounts/users/confirm_totp/", operator, {"code": totp.at(time.time() - 30)})
    agents = []
    for n in range(2):
        agent_id = f"fixture-agent-{n}-" + "0" * 20
        enrolled = call("POST", "/api/v3/newagent/", admin, {
            "agent_id": agent_id, "hostname": f"fixture-{n}", "site": site, "monitoring_type": "server",
            "description": "", "mesh_node_id": "", "goarch": "amd64", "plat": "linux"})
        call("POST", "/checks/", admin, {"agent": agent_id, "check_type": "script", "fails_b4_alert": 1, "timeout": 30,
                                          "script": {"name": "probe", "code": "#!/bin/sh\nexit 0", "shell": "shell"}})
        check = call("GET", f"/agents/{agent_id}/checks/", admin)[0]["id"]
        for r in range(3):
            call("PATCH", "/api/v3/checkrunner/", enrolled["token"], {"id": check, "agent_id": agent_id, "stdout": f"run {r}",
                                                                     "stderr": "", "retcode": 0, "runtime": 0.1})
        agents.append({"agent_id": agent_id, "token": enrolled["token"], "check": check})
    # Both names of the body: older versions took "code", Tactical RMM's shape is "script_body".
    call("POST", "/scripts/", admin, {"name": "Fixture script", "shell": "shell", "script_body": "echo fixture", "code": "echo fixture",
                                      "category": "Fixtures"})
    # The dump, as the old host's own role (the private cluster's superuser), owners kept:
    # an upgrade runs the new host on this very cluster.
    run = os.path.join(data, "postgres", "run")
    sock = [f for f in os.listdir(run) if f.startswith(".s.PGSQL.") and not f.endswith(".lock")][0]
    pg_port = sock[len(".s.PGSQL."):]
    versions = sorted((d for d in os.listdir("/usr/lib/postgresql") if d.isdigit()), key=int)
    pg_dump = os.path.join("/usr/lib/postgresql", versions[-1], "bin", "pg_dump")
    dump_env = dict(env, PGPASSWORD=open(os.path.join(data, "postgres", "garrison.password")).read().strip())
    with open(prefix + ".sql", "w") as out:
        subprocess.run([pg_dump, "-h", run, "-p", pg_port, "-U", "garrison", "-d", "garrison", "--no-comments"],
                       stdout=out, env=dump_env, check=True)
    commit = subprocess.run(["git", "-C", old, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    with open(prefix + ".json", "w") as out:
        json.dump({"commit": commit, "twofactor_key": key,
                   "users": {"operator1": {"password": "operator1-password", "totp_secret": secret}},
                   "agents": agents, "script": "Fixture script", "results_per_check": 3}, out, indent=2, sort_keys=True)
        out.write("\n")
    print("wrote", prefix + ".sql", prefix + ".json")
finally:
    serve.send_signal(signal.SIGTERM)
    serve.wait(timeout=60)
    shutil.rmtree(work, ignore_errors=True)
