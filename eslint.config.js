// The pages' JavaScript, checked by `make lint` (ESLint's recommended rules, pinned in
// package.json): the branch's pages are ES modules with mqtt.js loaded before them as a
// global; head office's are classic scripts beside ECharts.
import js from "@eslint/js";
import globals from "globals";

export default [
  js.configs.recommended,
  {
    files: ["edge_agent/web/static/**/*.js"],
    languageOptions: {
      sourceType: "module",
      globals: { ...globals.browser, mqtt: "readonly" },
    },
  },
  {
    files: ["head_office/web/static/**/*.js"],
    languageOptions: {
      sourceType: "script",
      globals: { ...globals.browser, echarts: "readonly" },
    },
  },
  {
    rules: {
      "no-unused-vars": ["error", { args: "after-used", caughtErrors: "none" }],
      eqeqeq: ["error", "smart"],
      "no-var": "error",
      "prefer-const": "error",
    },
  },
];
