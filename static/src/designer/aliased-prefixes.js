// A file may bind one of the modeler's own prefixes to another namespace: the interchange model
// C.1.0 binds `camunda:` to Activiti's. moddle then reads those attributes under a prefix of its
// own making (`ns0:assignee`) but keeps the file's declaration (`xmlns:camunda="…activiti…"`),
// and the export fails ("no namespace uri given for prefix <ns0>"). Once parsed, each made-up
// prefix is declared with the namespace the file gave the attribute (found by the element's id
// and the attribute's name), in place of the colliding declaration.

function declaredPrefixes(element) {
  const prefixes = new Set();
  for (let scope = element; scope; scope = scope.$parent) {
    for (const name of Object.keys(scope.$attrs || {})) {
      if (name.startsWith("xmlns:")) {
        prefixes.add(name.slice(6));
      }
    }
  }
  return prefixes;
}

// id -> attribute local name -> namespace, for every namespaced attribute in the file.
function namespacedAttributes(xml) {
  const found = new Map();
  const document = new DOMParser().parseFromString(xml, "application/xml");
  for (const node of document.querySelectorAll("[id]")) {
    for (const attribute of node.attributes) {
      if (attribute.namespaceURI && attribute.prefix !== "xmlns") {
        const names = found.get(node.getAttribute("id")) || new Map();
        names.set(attribute.localName, attribute.namespaceURI);
        found.set(node.getAttribute("id"), names);
      }
    }
  }
  return found;
}

export function declareAliasedPrefixes(definitions, elementsById, xml) {
  const model = definitions.$model;
  const undeclared = [];
  for (const [id, element] of Object.entries(elementsById || {})) {
    const declared = declaredPrefixes(element);
    for (const name of Object.keys(element.$attrs || {})) {
      const [prefix, localName] = name.split(":");
      if (localName && prefix !== "xmlns" && !declared.has(prefix) && !model.getPackage(prefix)) {
        undeclared.push({ id, prefix, localName });
      }
    }
  }
  if (!undeclared.length) {
    return;
  }
  const attributes = namespacedAttributes(xml);
  const declarations = definitions.$attrs;
  for (const { id, prefix, localName } of undeclared) {
    const uri = attributes.get(id)?.get(localName);
    if (!uri || declarations[`xmlns:${prefix}`]) {
      continue;
    }
    for (const [name, value] of Object.entries(declarations)) {
      if (name.startsWith("xmlns:") && value === uri && model.getPackage(name.slice(6))) {
        delete declarations[name]; // the colliding declaration: the package's prefix wins
      }
    }
    declarations[`xmlns:${prefix}`] = uri;
  }
}
