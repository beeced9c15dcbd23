// Bundle the front end into static/dist:
//   static/src/app.{js,css}   -> app.{js,css}    every page: htmx, Bootstrap, the UI shell
//   static/src/tasks.{js,css} -> tasks.{js,css}  task pages only: form-js and bpmn-js (viewers)
//   static/src/designer.{js,css} -> designer.{js,css}  designer pages only: the bpmn-js modeler,
//                                    its Camunda properties panel and bpmnlint
//
//   npm run build    one minified build (what `make run` and `make test` do)
//   npm run watch    rebuild on every change while developing
//
// Django serves static/dist through whitenoise (STATICFILES_DIRS), so the bundle keeps
// fixed names; production adds content hashes with collectstatic's manifest storage.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import * as esbuild from "esbuild";

const require = createRequire(import.meta.url);
const watch = process.argv.includes("--watch");

// bpmnlint's rules are CommonJS modules that its command line finds at run time. The browser
// gets them bundled instead: importing a `*.bpmnlintrc` file yields the configuration compiled
// by bpmnlint's own compiler (`{ config, resolver }` with every enabled rule imported), so
// nothing is fetched when the modeler lints.
const bpmnlintConfig = {
  name: "bpmnlint-config",
  setup(build) {
    build.onLoad({ filter: /\.bpmnlintrc$/ }, async (args) => {
      const compileConfig = require("bpmnlint/lib/support/compile-config");
      const config = JSON.parse(await readFile(args.path, "utf8"));
      return { contents: await compileConfig(config), loader: "js", resolveDir: process.cwd() };
    });
  },
};

const options = {
  entryPoints: [
    { in: "static/src/app.js", out: "app" },
    { in: "static/src/app.css", out: "app" },
    { in: "static/src/tasks.js", out: "tasks" },
    { in: "static/src/tasks.css", out: "tasks" },
    { in: "static/src/designer.js", out: "designer" },
    { in: "static/src/designer.css", out: "designer" },
  ],
  plugins: [bpmnlintConfig],
  outdir: "static/dist",
  bundle: true,
  minify: !watch,
  sourcemap: "linked",
  target: ["es2020", "chrome100", "firefox100", "safari15"],
  // Bootstrap's, bpmn-js's and form-js's stylesheets name no font or image files, only inline
  // SVG data URLs; nothing is fetched from elsewhere. bpmn-js's icon font is inlined as WOFF;
  // its stylesheet also names an .eot file for old browsers, copied beside the bundle.
  loader: { ".svg": "dataurl", ".woff": "file", ".woff2": "file", ".eot": "file" },
  legalComments: "linked",
  logLevel: "info",
};

if (watch) {
  const context = await esbuild.context(options);
  await context.watch();
} else {
  await esbuild.build(options);
}
