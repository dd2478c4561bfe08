"""sensing: a small numerical core for symmetric low-rank matrix sensing.

Jin, Li, Lyu, Du, Lee, *Understanding Incremental Learning of Gradient Descent: A Fine-grained
Analysis of Matrix Sensing* (ICML 2023). Ground truths Z* = X X^T, measurement operators A with
forward/adjoint/normal maps, the loss f(U) = 1/4 ||A(U U^T) - y||^2, gradient descent from
U_0 = alpha U-bar with a trajectory record, the rank-s sensing minimisers Z*_s, and RIP constants.
"""
from .factored import Factored
from .descent import (DivergenceError, DynamicsWarning, NormalMap, StagnationWarning, Trajectory,
                      detect_stagnation, gradient_descent, operator_norm, safe_step_size)
from . import asymmetric, conventions, dynamics
from .conventions import Convention
from .dynamics import Dynamics, DynamicsError
from .greedy import GLRLResult, GLRLStage, glrl
from .groundtruth import (GroundTruth, gaussian_ground_truth, ground_truth_from_matrix,
                          ground_truth_from_spectrum)
from .linalg import procrustes_distance, smat, svec, sym
from .minimizers import (RankSMinimizer, UniquenessReport, check_uniqueness, normal_space_curvature,
                         sensing_minimizer, spectral_init)
from .objective import gradient, hessian_vector, loss, residual
from .operators import (SensingOperator, gaussian_operator, identity_operator, measure,
                        operator_from_matrices, paper_operator)
from .problems import SensingProblem, initial_factor, make_operator, make_problem
from .rip import RIPBound, rip_estimate, rip_exact
from .structured import (CompletionOperator, FactoredOperator, RankOneOperator, completion_operator,
                         operator_from_vectors, random_completion_operator, rank_one_operator)
from . import factored, structured

__all__ = [
    "Convention", "DivergenceError", "GLRLResult", "GLRLStage", "Dynamics", "DynamicsError", "DynamicsWarning", "GroundTruth", "NormalMap", "RIPBound", "RankSMinimizer", "SensingOperator",
    "SensingProblem", "Trajectory", "UniquenessReport", "check_uniqueness", "asymmetric", "conventions", "detect_stagnation", "dynamics", "gaussian_ground_truth",
    "gaussian_operator", "glrl", "gradient", "gradient_descent", "ground_truth_from_matrix",
    "ground_truth_from_spectrum", "hessian_vector", "identity_operator", "initial_factor", "loss",
    "make_operator", "make_problem", "measure", "normal_space_curvature", "operator_from_matrices", "operator_norm",
    "paper_operator", "procrustes_distance", "residual", "rip_estimate", "rip_exact",
    "safe_step_size", "sensing_minimizer", "StagnationWarning", "smat", "spectral_init", "svec", "sym",
    "CompletionOperator", "Factored", "FactoredOperator", "RankOneOperator", "completion_operator", "factored",
    "operator_from_vectors", "random_completion_operator", "rank_one_operator", "structured",
]
__version__ = "0.1.0"
