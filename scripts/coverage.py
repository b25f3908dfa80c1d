#!/usr/bin/env python3
"""Merges the Cobertura files coverlet wrote for each test project and prints line coverage per shipped assembly.

A line counts as covered when any test project ran it (the Server is covered in process by Coditect.Server.Tests; the
SDK and CLI by Coditect.Client.Tests). Usage: coverage.py RESULTS_DIR [MIN_SERVER_PERCENT]
"""
import glob
import os
import sys
import xml.etree.ElementTree as ET

results = sys.argv[1]
minimum = float(sys.argv[2]) if len(sys.argv) > 2 else None
lines = {}  # (assembly, file, line) -> covered
for path in glob.glob(os.path.join(results, "**", "coverage.cobertura.xml"), recursive=True):
    root = ET.parse(path).getroot()
    for package in root.iter("package"):
        assembly = package.get("name")
        for cls in package.iter("class"):
            filename = cls.get("filename")
            for line in cls.iter("line"):
                key = (assembly, filename, line.get("number"))
                lines[key] = lines.get(key, False) or int(line.get("hits", "0")) > 0

if not lines:
    print("coverage: no Cobertura files found")
    sys.exit(0)

totals = {}
for (assembly, _, _), covered in lines.items():
    seen, hit = totals.get(assembly, (0, 0))
    totals[assembly] = (seen + 1, hit + (1 if covered else 0))

status = 0
for assembly in sorted(totals):
    seen, hit = totals[assembly]
    percent = 100.0 * hit / seen
    print(f"coverage: {assembly:<22} {percent:5.1f} % of {seen} lines")
    if minimum is not None and assembly == "Coditect.Server" and percent < minimum:
        print(f"coverage: Coditect.Server is below {minimum} %")
        status = 1
sys.exit(status)
