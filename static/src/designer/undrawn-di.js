// bpmn-js draws what the plane's process or its participants hold, and when it exports, it
// rebuilds each plane's shapes and edges from what it drew (its DI ordering). The DI of anything
// else is dropped: a process that no participant names but whose elements are drawn on the
// collaboration's plane (the OMG interchange model B.1.0), or a shape naming an element that is
// not there. This module puts such shapes and edges back, as they were read, when saving: they
// could not be edited, so a round trip keeps every shape and edge of the file.

const AFTER_DI_ORDERING = 1000; // bpmn-js orders the DI at priority 2000

function isDrawn(di, elementRegistry) {
  const semantic = di.bpmnElement;
  return Boolean(semantic && elementRegistry.get(semantic.id));
}

function KeepUndrawnDi(eventBus, elementRegistry, bpmnjs) {
  let undrawn = [];

  eventBus.on("import.done", () => {
    undrawn = [];
    for (const diagram of bpmnjs.getDefinitions()?.diagrams || []) {
      for (const di of diagram.plane?.planeElement || []) {
        if (!isDrawn(di, elementRegistry)) {
          undrawn.push({ diagram, di });
        }
      }
    }
  });

  eventBus.on("saveXML.start", AFTER_DI_ORDERING, ({ definitions }) => {
    for (const { diagram, di } of undrawn) {
      const plane = diagram.plane;
      if (definitions.diagrams.includes(diagram) && !plane.planeElement.includes(di)) {
        plane.planeElement.push(di);
      }
    }
  });
}

KeepUndrawnDi.$inject = ["eventBus", "elementRegistry", "bpmnjs"];

export const keepUndrawnDiModule = {
  __init__: ["keepUndrawnDi"],
  keepUndrawnDi: ["type", KeepUndrawnDi],
};
