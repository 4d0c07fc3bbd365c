"""The `minigan` command line.

    minigan demo                 train a small MLP on two moons (the engine at work)
    minigan bench conv|toy|dcgan speed benchmarks against PyTorch / the matmul peak

Bad arguments give one clear line (and exit code 2), never a traceback.
"""

import argparse
import sys


class UsageError(Exception):
    """A user mistake: printed as one line, exit code 2."""


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return value


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return value


def _add_demo(sub):
    p = sub.add_parser("demo", help="train a small MLP on scikit-learn's two moons")
    p.add_argument("--steps", type=_positive_int, default=300)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=_run_demo)


def _run_demo(args):
    from .demo import moons_demo

    moons_demo(steps=args.steps, seed=args.seed, verbose=True)


def _add_bench(sub):
    p = sub.add_parser("bench", help="speed benchmarks (ratios against PyTorch or the matmul peak)")
    p.add_argument("what", choices=["conv", "toy", "dcgan"])
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--repeats", type=_positive_int, default=None, help="timed iterations (default: per benchmark)")
    p.set_defaults(func=_run_bench)


def _run_bench(args):
    import importlib

    module = importlib.import_module(f"minigan.benchmarks.{args.what}")
    module.main(device=args.device, repeats=args.repeats)


def build_parser():
    parser = argparse.ArgumentParser(prog="minigan", description="minigan: GANs from scratch over NumPy")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_demo(sub)
    _add_bench(sub)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        args.func(args)
    except UsageError as e:
        print(f"minigan {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
