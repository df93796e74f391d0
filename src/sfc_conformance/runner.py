"""Placeholder: filled in by the suite runner."""
import argparse

def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    pass

def run(args: argparse.Namespace) -> int:
    raise NotImplementedError
