#!/usr/bin/env node
// tools/stix-validate.mjs: validates STIX 2.1 bundle files against the official OASIS JSON
// schemas vendored in data/stix2.1-schemas (draft 2020-12, validated with ajv's Ajv2020).
//
//   node tools/stix-validate.mjs [--schemas DIR] bundle.json [more.json ...]
//
// Each file must be a bundle that validates against common/bundle.json, and every object in it
// must also validate against the schema of its own type (sdos/, sros/, observables/ or
// common/marking-definition.json). An object whose type has no schema is an error, because
// mamori exports no custom objects.
//
// One correction to the upstream files, made in memory (the vendored copies stay unchanged):
// bundle.json's list of object schemas omits five STIX 2.1 SDOs (grouping, incident, location,
// note, opinion). Such an object then falls to the custom-object branch, where it matches both
// core.json and cyber-observable-core.json inside a "oneOf" and so fails: a valid note can never
// pass. Upstream fixed the same omission for infrastructure (oasis-open/cti-stix2-json-schemas
// issue 133) by adding it to the list; we add every sdos/ and sros/ schema missing from the list
// the same way, and to the custom branch's "not enum" of reserved type names. Each object is in
// any case also checked against its own type's unmodified schema.
//
// Exit status: 0 every file valid, 1 some file invalid (errors on stderr, one per line, with the
// file, the object index and id, and the JSON pointer of the failing field), 2 usage or I/O
// error (missing schemas, unreadable file, bad JSON). Needs `npm ci` (scripts/setup).

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import Ajv2020Module from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";

const Ajv2020 = Ajv2020Module.default ?? Ajv2020Module;
const addFormats = addFormatsModule.default ?? addFormatsModule;

const kIdBase = "http://raw.githubusercontent.com/oasis-open/cti-stix2-json-schemas/stix2.1/schemas/";

function usage(message) {
  if (message) console.error(`stix-validate: ${message}`);
  console.error("usage: node tools/stix-validate.mjs [--schemas DIR] bundle.json [more.json ...]");
  process.exit(2);
}

function parseArguments(argv) {
  const here = dirname(fileURLToPath(import.meta.url));
  let schemas = resolve(here, "..", "data", "stix2.1-schemas");
  const files = [];
  for (let i = 0; i < argv.length; ++i) {
    if (argv[i] === "--schemas") {
      if (i + 1 >= argv.length) usage("--schemas needs a directory");
      schemas = resolve(argv[++i]);
    } else if (argv[i] === "--help" || argv[i] === "-h") {
      usage();
    } else {
      files.push(argv[i]);
    }
  }
  if (files.length === 0) usage("no bundle file given");
  return { schemas, files };
}

function listSchemaFiles(root) {
  const out = [];
  const walk = (directory) => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".json")) out.push(path);
    }
  };
  walk(root);
  return out.sort();
}

// The in-memory correction described at the top: every sdos/ and sros/ schema that
// bundle.json's list lacks is added to it and to the custom branch's reserved names.
function completeBundleSchema(schemas) {
  const bundle = schemas.get("common/bundle.json");
  const branches = bundle?.properties?.objects?.items?.anyOf;
  const known = branches?.[0]?.oneOf;
  const reserved = branches?.[1]?.allOf?.[1]?.properties?.type?.not?.enum;
  if (!Array.isArray(known) || !Array.isArray(reserved)) {
    console.error("stix-validate: common/bundle.json does not have the expected layout");
    process.exit(2);
  }
  const listed = new Set(known.map((entry) => entry.$ref));
  for (const rel of [...schemas.keys()].sort()) {
    const [folder, name] = rel.split("/");
    if (folder !== "sdos" && folder !== "sros") continue;
    const ref = `../${rel}`;
    if (listed.has(ref)) continue;
    known.push({ $ref: ref });
    const type = name.replace(/\.json$/, "");
    if (!reserved.includes(type)) reserved.push(type);
  }
}

// Loads every schema under its own $id, so the relative $refs between them resolve offline.
function buildValidator(root) {
  // unicodeRegExp: false because four upstream patterns in common/core.json and
  // common/cyber-observable-core.json escape '-' outside a character class ("\-"), which the
  // 'u' flag rejects as an invalid escape; without the flag the patterns mean what they say.
  // strict: false because the schemas use keywords and formats strict mode does not know.
  const ajv = new Ajv2020({ allErrors: true, strict: false, unicodeRegExp: false });
  addFormats(ajv);
  // ajv-formats has no IDN host name check; the schemas use it only for domain-name and
  // email-addr observables, which mamori does not export. Accept rather than warn.
  ajv.addFormat("idn-hostname", true);
  let files;
  try {
    files = listSchemaFiles(root);
  } catch (error) {
    console.error(`stix-validate: cannot read schemas in ${root}: ${error.message}`);
    process.exit(2);
  }
  const byType = new Map();
  const schemas = new Map();  // relative path -> parsed schema
  for (const path of files) {
    const schema = JSON.parse(readFileSync(path, "utf8"));
    if (typeof schema.$id !== "string") {
      console.error(`stix-validate: schema ${path} has no $id`);
      process.exit(2);
    }
    const rel = relative(root, path).split("\\").join("/");
    schemas.set(rel, schema);
    const [folder, name] = rel.split("/");
    if (["sdos", "sros", "observables"].includes(folder) || rel === "common/marking-definition.json") {
      byType.set(name.replace(/\.json$/, ""), schema.$id);
    }
  }
  completeBundleSchema(schemas);
  for (const schema of schemas.values()) ajv.addSchema(schema);
  const bundle = ajv.getSchema(`${kIdBase}common/bundle.json`);
  if (!bundle) {
    console.error(`stix-validate: no common/bundle.json in ${root}`);
    process.exit(2);
  }
  return { ajv, bundle, byType };
}

function describe(errors, prefix) {
  return errors.map((e) => {
    const params = Object.keys(e.params ?? {}).length ? ` ${JSON.stringify(e.params)}` : "";
    return `${prefix}${e.instancePath || "/"}: ${e.message}${params}`;
  });
}

function validateFile(validator, file) {
  let document;
  try {
    document = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    console.error(`stix-validate: ${file}: cannot read JSON: ${error.message}`);
    process.exit(2);
  }
  // The bundle schema tries every object schema in a oneOf, so one bad object yields dozens of
  // messages; they are shown only for objects whose own type schema finds nothing.
  const bundleErrors = validator.bundle(document) ? [] : validator.bundle.errors;
  const objects = Array.isArray(document?.objects) ? document.objects : [];
  const problems = [];
  const explained = new Set();
  objects.forEach((object, index) => {
    const label = `objects/${index} (${typeof object?.id === "string" ? object.id : "no id"})`;
    const type = object?.type;
    const id = validator.byType.get(type);
    if (!id) {
      problems.push(`${label}: no OASIS schema for type ${JSON.stringify(type)}`);
      explained.add(index);
      return;
    }
    const validate = validator.ajv.getSchema(id);
    if (!validate(object)) {
      problems.push(...describe(validate.errors, label));
      explained.add(index);
    }
  });
  const rest = bundleErrors.filter((e) => {
    const match = /^\/objects\/(\d+)(\/|$)/.exec(e.instancePath);
    return !match || !explained.has(Number(match[1]));
  });
  problems.push(...describe(rest, "bundle"));
  return problems;
}

const { schemas, files } = parseArguments(process.argv.slice(2));
const validator = buildValidator(schemas);
let invalid = 0;
for (const file of files) {
  const problems = validateFile(validator, file);
  if (problems.length === 0) {
    console.log(`${file}: valid`);
  } else {
    ++invalid;
    console.error(`${file}: invalid`);
    for (const line of problems) console.error(`  ${line}`);
  }
}
process.exit(invalid === 0 ? 0 : 1);
