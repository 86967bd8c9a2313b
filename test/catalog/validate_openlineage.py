#!/usr/bin/env python3
"""Validates OpenLineage event files against the JSON Schemas in a directory (draft 2020-12).

usage: validate_openlineage.py SCHEMA_DIR EVENT.json...

Every schema file (OpenLineage.json and facets/*.json) is registered under its $id, so the
absolute $refs between them resolve offline. Each event is validated against OpenLineage.json,
and every facet it carries (run, job, dataset, inputFacets, outputFacets) against the facet
schema that defines its key; a facet key no schema defines is an error. Exit 0 when all
events are valid, 1 otherwise (each problem printed on stderr), 2 on bad usage.
"""
import glob
import json
import os
import sys

import jsonschema


def load_schemas(schema_dir):
    schemas = {}
    for path in [os.path.join(schema_dir, "OpenLineage.json")] + sorted(
            glob.glob(os.path.join(schema_dir, "facets", "*.json"))):
        with open(path) as f:
            schema = json.load(f)
        schemas[schema["$id"]] = schema
    return schemas


def make_validator(schema, schemas):
    cls = jsonschema.Draft202012Validator
    checker = cls.FORMAT_CHECKER
    try:  # jsonschema >= 4.18
        from referencing import Registry, Resource
        registry = Registry().with_resources(
            (uri, Resource.from_contents(s)) for uri, s in schemas.items())
        return cls(schema, registry=registry, format_checker=checker)
    except ImportError:
        resolver = jsonschema.RefResolver.from_schema(schema, store=schemas)
        return cls(schema, resolver=resolver, format_checker=checker)


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    schemas = load_schemas(argv[1])
    core = next(s for uri, s in schemas.items() if uri.endswith("/OpenLineage.json"))
    core_validator = make_validator(core, schemas)
    facet_validators = {}
    for uri, schema in schemas.items():
        for key in schema.get("properties", {}):
            if schema is not core:
                facet_validators[key] = make_validator(schema, schemas)
    problems = 0
    checked = 0
    for path in argv[2:]:
        with open(path) as f:
            event = json.load(f)
        for error in core_validator.iter_errors(event):
            problems += 1
            print(f"{path}: {'/'.join(map(str, error.path))}: {error.message}", file=sys.stderr)
        maps = [event.get("run", {}).get("facets", {}), event.get("job", {}).get("facets", {})]
        for dataset in event.get("inputs", []) + event.get("outputs", []):
            maps += [dataset.get("facets", {}), dataset.get("inputFacets", {}),
                     dataset.get("outputFacets", {})]
        for facets in maps:
            for key, value in facets.items():
                validator = facet_validators.get(key)
                if validator is None:
                    problems += 1
                    print(f"{path}: facet '{key}' has no schema", file=sys.stderr)
                    continue
                checked += 1
                for error in validator.iter_errors({key: value}):
                    problems += 1
                    print(f"{path}: facet {key}: {'/'.join(map(str, error.path))}: "
                          f"{error.message}", file=sys.stderr)
    print(f"{len(argv) - 2} events, {checked} facets checked, {problems} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
