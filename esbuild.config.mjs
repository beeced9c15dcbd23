// Bundle the front end into static/dist:
//   static/src/app.{js,css}   -> app.{js,css}    every page: htmx, Bootstrap, the UI shell
//   static/src/tasks.{js,css} -> tasks.{js,css}  task pages only: form-js and bpmn-js (viewers)
//
//   npm run build    one minified build (what `make run` and `make test` do)
//   npm run watch    rebuild on every change while developing
//
// Django serves static/dist through whitenoise (STATICFILES_DIRS), so the bundle keeps
// fixed names; production adds content hashes with collectstatic's manifest storage.
import * as esbuild from "esbuild";

const watch = process.argv.includes("--watch");

const options = {
  entryPoints: [
    { in: "static/src/app.js", out: "app" },
    { in: "static/src/app.css", out: "app" },
    { in: "static/src/tasks.js", out: "tasks" },
    { in: "static/src/tasks.css", out: "tasks" },
  ],
  outdir: "static/dist",
  bundle: true,
  minify: !watch,
  sourcemap: "linked",
  target: ["es2020", "chrome100", "firefox100", "safari15"],
  // Bootstrap's, bpmn-js's and form-js's stylesheets name no font or image files, only inline
  // SVG data URLs; nothing is fetched from elsewhere.
  loader: { ".svg": "dataurl", ".woff": "file", ".woff2": "file" },
  legalComments: "linked",
  logLevel: "info",
};

if (watch) {
  const context = await esbuild.context(options);
  await context.watch();
} else {
  await esbuild.build(options);
}
