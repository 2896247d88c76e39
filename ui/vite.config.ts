/// <reference types="vitest/config" />
// One UMD bundle for Airflow's react_apps: React, ReactDOM, Chakra and Emotion come from
// Airflow's own page (globals it sets for plugins), so the screen shares its theme and dark mode.
import react from "@vitejs/plugin-react";
import { resolve } from "node:path";
import { defineConfig } from "vite";

const HOST_GLOBALS: Record<string, string> = {
  react: "React",
  "react-dom": "ReactDOM",
  "react/jsx-runtime": "ReactJSXRuntime",
  "@chakra-ui/react": "ChakraUI",
  "@emotion/react": "EmotionReact",
};

export default defineConfig(({ command }) => ({
  plugins: [react()],
  // The tests run React in development mode (act); the bundle is a production build.
  define: command === "build" ? { "process.env.NODE_ENV": JSON.stringify("production") } : {},
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // Deterministic output: no hashes, no source maps (they would carry local paths).
    sourcemap: false,
    lib: {
      entry: resolve(import.meta.dirname, "src/main.tsx"),
      name: "AirflowPlugin",
      formats: ["umd"],
      fileName: () => "main.js",
    },
    rollupOptions: {
      external: Object.keys(HOST_GLOBALS),
      output: { globals: HOST_GLOBALS, exports: "default" },
    },
  },
  test: {
    environment: "happy-dom",
    testTimeout: 30000,
    globals: false,
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.tsx", "src/**/*.test.ts"],
  },
}));
