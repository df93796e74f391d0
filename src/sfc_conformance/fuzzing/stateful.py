"""Phase two: scenarios that follow the contract's links, so ids come from real answers.

Schemathesis builds a hypothesis state machine from the ``links`` of our
contract: create a company, start its flow, list the connections the start
created, authorize them, read and post the configuration, change or sever a
connection, ask for a sync.  Every step's request is generated (positive, and
now and then negative) with the linked ids filled in, sent through the
project's client and judged like any other answer.  A finding's reproduction
is the chain of requests that led to it, the failing one last.
"""

from __future__ import annotations

from typing import Any

from hypothesis import seed
from schemathesis.generation.stateful.state_machine import StepOutput

from sfc_conformance.fuzzing.budget import Budget
from sfc_conformance.fuzzing.judge import Judge
from sfc_conformance.fuzzing.sending import OutOfBudget, Sender, Unanswered


def run_stateful(schema: Any, sender: Sender, judge: Judge, budget: Budget) -> None:
    machine = _fuzzing_machine(schema.as_state_machine(), sender, judge)
    seed(budget.seed)(machine).run(settings=budget.settings())


def _fuzzing_machine(base: Any, sender: Sender, judge: Judge) -> Any:
    class Fuzzing(base):  # type: ignore[misc]
        def setup(self) -> None:
            self.sent: dict[str, tuple[str | None, str]] = {}  # case id -> (parent case id, curl)

        def step(self, input: Any) -> StepOutput | None:
            """One step, sent through the project's client; no output once the run must stop."""
            case = input.case
            parent = input.transition.parent_id if input.transition is not None else None
            try:
                sent = sender.send_case(case)
            except Unanswered as unanswered:
                judge.unanswered(case.operation, unanswered, self._chain(parent))
                return None
            except OutOfBudget:
                return None  # nothing follows from a step without output, so the scenario ends here
            self.sent[case.id] = (parent, sent.curl)
            self.after_call(sent.response, case)  # as schemathesis' own step does: its scenario record
            judge.answer(case.operation, sent, reproduction=self._chain(parent))
            return StepOutput(sent.response, case)

        def _chain(self, case_id: str | None) -> tuple[str, ...]:
            """The curl commands of the steps that led to ``case_id``'s child, oldest first."""
            commands: list[str] = []
            while case_id is not None and case_id in self.sent:
                case_id, command = self.sent[case_id]
                commands.append(command)
            return tuple(reversed(commands))

    return Fuzzing
