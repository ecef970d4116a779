"""``python -m tinynn.teach``: the teacher's kit (see tinynn/teach/__init__.py)."""
from __future__ import annotations

import argparse
import json
import sys

from tinynn.teach.grader import format_scores, grade
from tinynn.teach.student import list_exercises, make_student


def main(argv=None):
    """Parse the command line and run ``list``, ``make-student`` or ``grade``."""
    parser = argparse.ArgumentParser(prog="python -m tinynn.teach", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="list the exercises (id, file, line, hints)")
    make = commands.add_parser("make-student", help="write the student's copy, solutions replaced by stubs")
    make.add_argument("out_dir")
    make.add_argument("--only", help="comma-separated exercise ids to stub (default: all)")
    make.add_argument("--no-tutorials", action="store_true", help="copy the package only")
    mark = commands.add_parser("grade", help="run the grading tests on a copy and print a score per exercise")
    mark.add_argument("directory")
    mark.add_argument("--json", help="also write the scores to this file")
    args = parser.parse_args(argv)

    if args.command == "list":
        for exercise, (path, line, hints) in sorted(list_exercises().items()):
            print(f"{exercise}  {path}:{line}")
            for hint in hints:
                print(f"    {hint}")
        return 0
    if args.command == "make-student":
        only = None if args.only is None else [e.strip() for e in args.only.split(",") if e.strip()]
        stubbed = make_student(args.out_dir, only=only, tutorials=not args.no_tutorials)
        print(f"wrote {args.out_dir}: {len(stubbed)} exercise(s) stubbed: {', '.join(stubbed)}")
        print(f"grade it with: python -m tinynn.teach grade {args.out_dir}")
        return 0
    scores = grade(args.directory)
    print(format_scores(scores))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(scores, f, indent=2)
    return 0 if all(s["total"] and s["passed"] == s["total"] for s in scores.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
