import { parse as parseYaml } from 'yaml';

/**
 * Reading CWL documents, shared by CreateWorkflow (the parameter template) and the local executor
 * (input types and step resources): one notion of "the main process" and of its inputs.
 */
export type CwlDoc = Record<string, any>;

/** The last segment of a CWL identifier (`#main/input` → `input`). */
export const shortId = (id: unknown) => String(id ?? '').replace(/^.*[#/]/, '');

/** Parses CWL text (YAML or JSON); throws when it is not a document. */
export function parseCwl(text: string): CwlDoc {
  const doc = parseYaml(text);
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new Error('not a CWL document');
  return doc as CwlDoc;
}

/** The process a document or its `$graph` names: `fragment`, else `#main`, else the first one. */
export function pickProcess(doc: CwlDoc | undefined, fragment?: string): CwlDoc | undefined {
  if (!doc) return undefined;
  if (!Array.isArray(doc.$graph)) return doc;
  const want = fragment ?? 'main';
  return doc.$graph.find((d: CwlDoc) => shortId(d?.id) === want) ?? (fragment ? undefined : doc.$graph[0]);
}

/** A CWL list-or-map field (inputs, steps) as [name, definition] pairs. */
export function namedEntries(raw: unknown): [string, any][] {
  if (Array.isArray(raw)) return raw.map((i: any) => [shortId(i?.id), i]);
  if (raw && typeof raw === 'object') return Object.entries(raw as CwlDoc);
  return [];
}

/** The declared inputs of a process, each with its type and whether it may be left out. */
export function processInputs(proc: CwlDoc | undefined): { name: string; type: unknown; optional: boolean; doc?: string }[] {
  return namedEntries(proc?.inputs).map(([name, def]) => {
    const spec = typeof def === 'string' || Array.isArray(def) ? { type: def } : def ?? {};
    const type = spec.type;
    const optional = spec.default !== undefined
      || (typeof type === 'string' && type.endsWith('?'))
      || (Array.isArray(type) && type.includes('null'));
    const doc = typeof spec.doc === 'string' ? spec.doc : typeof spec.label === 'string' ? spec.label : undefined;
    return { name, type, optional, doc };
  });
}
