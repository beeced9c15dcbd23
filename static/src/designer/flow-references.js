// Files written by other tools (and by hand) often leave out a flow node's <incoming> and
// <outgoing>: the engine reads sequence flows by their sourceRef/targetRef and does not need
// them, but bpmnlint and bpmn-js's own modeling read them, so such a file would be linted as
// "not connected" everywhere. Once parsed, each node gets the flows that name it, as bpmn-js
// writes them for anything drawn; ids, DI and extension attributes are untouched.

function addOnce(node, property, flow) {
  if (!node || !node.$instanceOf("bpmn:FlowNode")) {
    return;
  }
  const flows = node.get(property);
  if (!flows.includes(flow)) {
    flows.push(flow);
  }
}

function completeContainer(container) {
  for (const element of container.flowElements || []) {
    if (element.$instanceOf("bpmn:SequenceFlow")) {
      addOnce(element.sourceRef, "outgoing", element);
      addOnce(element.targetRef, "incoming", element);
    } else if (element.flowElements) {
      completeContainer(element); // sub-processes, transactions, ad-hoc sub-processes
    }
  }
}

export function completeFlowReferences(definitions) {
  for (const root of definitions.rootElements || []) {
    if (root.$instanceOf("bpmn:Process")) {
      completeContainer(root);
    }
  }
}
