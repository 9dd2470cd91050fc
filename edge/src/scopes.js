// What a client may use (CLIENT_SCOPES) and which tools may be called at all (RECORDED_TOOLS).

// JSON-RPC error (implementation-defined range) of a call the client's scope does not allow.
export const NOT_ALLOWED = -32003;

// Why the client may not use this service, or null. Without CLIENT_SCOPES every client may use everything;
// with it, a client without an entry may use nothing, so a misspelt name fails closed.
export function scopeRefusal(scopes, clientName, service) {
  if (scopes === null) {
    return null;
  }
  const scope = scopes[clientName];
  if (scope === undefined || !scope.services.includes(service)) {
    return `Client ${clientName} may not use the ${service} service.`;
  }
  return null;
}

// The only tools of the service the client may see and call, or null when its scope lists none (all of them).
export function allowedTools(scopes, clientName, service) {
  const tools = scopes?.[clientName]?.tools;
  return tools !== undefined && Object.hasOwn(tools, service) ? tools[service] : null;
}

// Why a tool call is refused for naming a tool the reviewed manifest does not record, or null. With
// RECORDED_TOOLS set, a service it does not list has no tool that may be called: fail closed.
export function unrecordedTool(recorded, service, tool) {
  if (recorded === null || tool === null) {
    return null;
  }
  const tools = recorded[service];
  if (tools === undefined || !tools.includes(tool)) {
    return `The ${tool} tool of ${service} is not in the tool manifest reviewed for this deployment.`;
  }
  return null;
}
