// The correlation key of the message an element waits for. Camunda 7's panel names the message
// but has no field for its key; the engine reads the key as Zeebe writes it, on the message:
//   <bpmn:message name="payment-received"><bpmn:extensionElements>
//     <zeebe:subscription correlationKey="=orderId"/></bpmn:extensionElements></bpmn:message>
// This adds a "Correlation key" entry to the Message group of every element that catches one.
// Zeebe's moddle cannot be loaded beside Camunda's (both define `modelerTemplate`), so the
// subscription is a generic element in Zeebe's namespace, read and written as the file has it.
import { TextFieldEntry, isTextFieldEntryEdited } from "@bpmn-io/properties-panel";
import { jsx } from "@bpmn-io/properties-panel/preact/jsx-runtime";
import { useService } from "bpmn-js-properties-panel";
import { getBusinessObject, is } from "bpmn-js/lib/util/ModelUtil";

const AFTER_CAMUNDA_PROVIDER = 500; // lower runs later, once the Message group exists
const ZEEBE = "http://camunda.org/schema/zeebe/1.0";

function caughtMessage(element) {
  const semantic = getBusinessObject(element);
  if (is(semantic, "bpmn:ReceiveTask")) {
    return semantic.messageRef || null;
  }
  if (!is(semantic, "bpmn:CatchEvent")) {
    return null;
  }
  const definition = (semantic.eventDefinitions || []).find((item) => is(item, "bpmn:MessageEventDefinition"));
  return definition?.messageRef || null;
}

function subscriptionOf(message) {
  const values = message?.extensionElements?.values || [];
  const isSubscription = ({ $descriptor: { ns } }) => ns?.uri === ZEEBE && ns.localName === "subscription";
  return values.find(isSubscription) || null;
}

// One undoable command: the message's extension elements made when missing, the subscription
// made, changed, or removed when the key is emptied.
function correlationCommands(element, message, value, bpmnFactory, moddle) {
  const subscription = subscriptionOf(message);
  const context = (moddleElement, properties) => ({
    cmd: "element.updateModdleProperties",
    context: { element, moddleElement, properties },
  });
  if (subscription) {
    if (value) {
      return [context(subscription, { correlationKey: value })];
    }
    const values = message.extensionElements.values.filter((item) => item !== subscription);
    return [context(message.extensionElements, { values })];
  }
  if (!value) {
    return [];
  }
  const commands = [];
  let extensionElements = message.extensionElements;
  if (!extensionElements) {
    extensionElements = bpmnFactory.create("bpmn:ExtensionElements", { values: [] });
    extensionElements.$parent = message;
    commands.push(context(message, { extensionElements }));
  }
  const created = moddle.createAny("zeebe:subscription", ZEEBE, { correlationKey: value });
  created.$parent = extensionElements;
  commands.push(context(extensionElements, { values: [...extensionElements.get("values"), created] }));
  return commands;
}

function CorrelationKey({ element, id }) {
  const bpmnFactory = useService("bpmnFactory");
  const commandStack = useService("commandStack");
  const debounce = useService("debounceInput");
  const moddle = useService("moddle");
  return jsx(TextFieldEntry, {
    element,
    id,
    label: "Correlation key",
    description: "Which message is this instance's: an expression such as =orderId, compared with the key a message is sent with.",
    debounce,
    getValue: () => subscriptionOf(caughtMessage(element))?.correlationKey || "",
    setValue: (value) => {
      const commands = correlationCommands(element, caughtMessage(element), (value || "").trim(), bpmnFactory, moddle);
      if (commands.length) {
        commandStack.execute("properties-panel.multi-command-executor", commands);
      }
    },
  });
}

function CorrelationKeyProvider(propertiesPanel) {
  propertiesPanel.registerProvider(AFTER_CAMUNDA_PROVIDER, this);
}

CorrelationKeyProvider.$inject = ["propertiesPanel"];

CorrelationKeyProvider.prototype.getGroups = function getGroups(element) {
  return (groups) => {
    if (!caughtMessage(element)) {
      return groups;
    }
    const entry = { id: "correlationKey", component: CorrelationKey, isEdited: isTextFieldEntryEdited };
    const messageGroup = groups.find((group) => group.id === "message");
    if (messageGroup) {
      messageGroup.entries.push(entry);
    } else {
      groups.push({ id: "correlation", label: "Correlation", entries: [entry] });
    }
    return groups;
  };
};

export const correlationKeyModule = {
  __init__: ["correlationKeyProvider"],
  correlationKeyProvider: ["type", CorrelationKeyProvider],
};
