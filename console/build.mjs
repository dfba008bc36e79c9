// Builds the console into dist/: the app bundle (esbuild), its static files, the
// API reference page (Swagger UI from npm) and openapi.yaml. Nothing is loaded from
// a CDN; every page runs only files from this origin (no inline script).
// Usage: node build.mjs [--watch]
import { build, context } from "esbuild";
import { cpSync, mkdirSync, rmSync, copyFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "dist");
rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, "assets"), { recursive: true });

cpSync(join(here, "static"), dist, { recursive: true });
copyFileSync(join(here, "..", "openapi.yaml"), join(dist, "openapi.yaml"));
const swagger = join(here, "node_modules", "swagger-ui-dist");
for (const file of ["swagger-ui-bundle.js", "swagger-ui.css"]) {
  copyFileSync(join(swagger, file), join(dist, "docs", file));
}

const options = {
  entryPoints: { app: join(here, "src", "main.tsx") },
  outdir: join(dist, "assets"),
  bundle: true,
  format: "esm",
  target: "es2020",
  minify: true,
  sourcemap: true,
  jsx: "automatic",
  jsxImportSource: "preact",
  legalComments: "linked",
  logLevel: "warning",
};
if (process.argv.includes("--watch")) {
  const ctx = await context(options);
  await ctx.watch();
  console.log("watching console/src");
} else {
  await build(options);
}
