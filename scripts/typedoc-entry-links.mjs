// A TypeDoc plugin: `{@link PubSubBroker}` in the docs of a name that `logcaster/adapter`
// exports resolves to `PubSubBroker` in the `logcaster` module. TypeDoc looks a link up in the
// module of the comment (and its parents) only, and the adapter's interfaces document the main
// entry's classes they serve; their comments stay plain `{@link Name}` in src/.
import { Converter, Reflection } from 'typedoc';

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(
    Converter.EVENT_RESOLVE_END,
    (context) => {
      const project = context.project;
      const modules = project.children ?? [];
      const find = (name) => {
        const path = name.trim().replace(/^[\w/]+!/, '').split('.');
        const hits = modules.map((module) => module.getChildByName(path)).filter((hit) => hit !== undefined);
        return hits.length === 1 ? hits[0] : undefined;
      };
      const visit = (parts) => {
        for (const part of parts ?? []) {
          if (part.kind !== 'inline-tag' || !part.tag.startsWith('@link')) continue;
          if (typeof part.target === 'string' || part.target instanceof Reflection) continue;
          // A link TypeScript resolved to a symbol TypeDoc documents is left to TypeDoc.
          if (part.target !== undefined && project.getReflectionsFromSymbolId(part.target).length > 0) continue;
          const [name, caption] = part.text.split('|');
          const target = find(name);
          if (target !== undefined) {
            part.target = target;
            part.text = (caption ?? name).trim();
          }
        }
      };
      for (const reflection of Object.values(project.reflections)) {
        const comment = reflection.comment;
        if (comment === undefined) continue;
        visit(comment.summary);
        for (const tag of comment.blockTags) visit(tag.content);
      }
    },
    // Before TypeDoc's own link resolution (priority -300).
    0,
  );
}
