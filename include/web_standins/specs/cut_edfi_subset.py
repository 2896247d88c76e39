"""Cut the Ed-Fi Data Sync subset out of the published Ed-Fi ODS/API 5.0 documents.

Usage: python cut_edfi_subset.py resources-ds-5.0.yaml descriptor-api-5.0.yaml > subset.yaml
(the two files from Ed-Fi-Alliance-OSS/Ed-Fi-API-Specifications, api-specifications/).
Keeps the GET and POST operations of PATHS and every component they reference, unchanged;
only the empty clientCredentials tokenUrl is set to the ODS/API's usual /oauth/token.
"""

from __future__ import annotations

import sys

import yaml

COMMIT = "d04ae3f6e712892852082d31f40c808e63987eb4"
PATHS = (
    "gradeLevelDescriptors",
    "localEducationAgencies",
    "schools",
    "sessions",
    "courses",
    "courseOfferings",
    "sections",
    "staffs",
    "staffEducationOrganizationAssignmentAssociations",
    "staffSectionAssociations",
    "students",
    "studentSchoolAssociations",
    "studentSectionAssociations",
)
HEADER = f"""\
# Ed-Fi ODS/API 5.0: the part of the published OpenAPI documents the Ed-Fi Data Sync tests use.
#
# Source: github.com/Ed-Fi-Alliance-OSS/Ed-Fi-API-Specifications, commit
# {COMMIT} (1 July 2026), files
#   api-specifications/resources/resources-ds-5.0.yaml      (every resource but the descriptors)
#   api-specifications/descriptors/descriptor-api-5.0.yaml  (gradeLevelDescriptors)
# Licensed to the Ed-Fi Alliance under the Apache License, Version 2.0.
# Extracted unchanged by cut_edfi_subset.py: the GET and POST operations of the paths below and
# every component they reference. One change: the published clientCredentials tokenUrl is empty
# (each ODS/API install has its own); it is set here to the ODS/API's usual /oauth/token.
openapi: 3.0.3
info:
  title: 'Ed-Fi ODS/API 5.0 (Resources and Descriptors): subset used by Ed-Fi Data Sync'
  version: '5.0'
"""


def cut(resources: dict, descriptors: dict) -> dict:
    out: dict = {
        "paths": {},
        "components": {"schemas": {}, "parameters": {}, "responses": {}, "securitySchemes": {}},
    }

    def find(kind: str, name: str) -> object:
        for doc in (resources, descriptors):
            if name in doc["components"].get(kind, {}):
                return doc["components"][kind][name]
        raise KeyError(f"{kind}/{name} is in neither document")

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "$ref":
                    _, _, kind, name = value.split("/")
                    if name not in out["components"][kind]:
                        out["components"][kind][name] = find(kind, name)
                        walk(out["components"][kind][name])
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for name in PATHS:
        doc = descriptors if name.endswith("Descriptors") else resources
        item = doc["paths"][f"/ed-fi/{name}"]
        out["paths"][f"/ed-fi/{name}"] = {m: item[m] for m in ("post", "get") if m in item}
        walk(out["paths"][f"/ed-fi/{name}"])
    out["components"]["securitySchemes"] = resources["components"]["securitySchemes"]
    flows = out["components"]["securitySchemes"]["oauth2_client_credentials"]["flows"]
    flows["clientCredentials"]["tokenUrl"] = "/oauth/token"
    out["security"] = resources["security"]
    return out


if __name__ == "__main__":
    with open(sys.argv[1]) as r, open(sys.argv[2]) as d:
        subset = cut(yaml.safe_load(r), yaml.safe_load(d))
    sys.stdout.write(HEADER + yaml.safe_dump(subset, sort_keys=False, width=100))
