// The agent's wire format lives in its own module (Host/AgentWire) so that the agent
// emulator can link it alone; the host's code and its users see it as part of the host.
@_exported import AgentWire
