import ts from 'typescript';
const files = process.argv.slice(2);
const program = ts.createProgram(files, { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, skipLibCheck: true, paths: { logcaster: ['./src/index.ts'] }, baseUrl: '.' });
const checker = program.getTypeChecker();
for (const f of files) {
  const sf = program.getSourceFile(f);
  const names = checker.getExportsOfModule(checker.getSymbolAtLocation(sf)).map((s) => s.name);
  console.log(f, names.length, process.env.V ? names.join(' ') : '');
}
