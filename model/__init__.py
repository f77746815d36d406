"""The spatial price equilibrium model: formulation (Pyomo), HiGHS solve, equilibrium certificate."""

from petra.model.certificate import Certificate, certificate
from petra.model.problem import Problem, build_problem
from petra.model.solve import DEFAULT_TOLERANCE, SolveResult, solve, solve_problem

__all__ = ["Certificate", "certificate", "Problem", "build_problem", "DEFAULT_TOLERANCE", "SolveResult",
           "solve", "solve_problem"]
