"""Loss, step and initialisation conventions: a user's matrix-sensing code mapped to ours and back.

Ours is the paper's (Jin et al. 2023, §3; :mod:`sensing.objective`)::

    [𝒜(Z)]_i = m^(-1/2) ⟨A_i, Z⟩,   y = 𝒜(Z*),   f(U) = ¼‖𝒜(UUᵀ) − y‖² = (1/4m) Σ_i r_i²,
    r_i = ⟨A_i, UUᵀ⟩ − ⟨A_i, Z*⟩,   U ← U − μ∇f(U),   U_0 = αŪ  (‖Ū‖ = 1 in the claims).

Public experiment code writes the same problem with other constants. A :class:`Convention`
declares them; its methods map steps, initial scales, loss values and data (A, y) between the
user's convention and ours, and :meth:`Convention.adapt` turns a user's gradient-descent
function into a dynamics of :mod:`sensing.dynamics`.

The loss. A user's loss is ``c · w · Σ_i (s r_i)²`` with ``c`` = :attr:`~Convention.loss_factor`,
``w = 1/m`` for ``reduction="mean"`` (1 for ``"sum"``), and ``s = m^(-1/2)`` for
``measurement_scale="sqrt_m"`` (the user's operator is normalised as ours, so their y is ours)
or ``s = 1`` for ``"unit"`` (``y_i = ⟨A_i, Z*⟩``). That is ``c_eff Σ_i r_i²`` with
``c_eff = c w s²``, against our ``(1/4m) Σ_i r_i²``, so every value, gradient and step scales by
one factor (:meth:`Convention.factor`)::

    f_user = k f,   ∇f_user = k ∇f,   k = 4 m c_eff = 4 c m^p,   p = 1 − [mean] − [sqrt_m].

The step. The user's step η multiplies the gradient of *their* loss (``step_rule="plain"``), so
the two runs coincide when ``η ∇f_user = μ ∇f``, i.e. ``μ = k η``. Only ``p = 0`` conventions
(a mean over unit residuals, or a sum over normalised ones) have a step that does not depend on m.

The sensing matrices. For symmetric Z, ``⟨A_i, Z⟩ = ⟨sym(A_i), Z⟩`` with
``sym(A_i) = (A_i + A_iᵀ)/2``, so non-symmetric A_i (``symmetric=False``, e.g. the paper's §6
ensemble) define the same y and the same loss as sym(A_i), which is what we store. The gradient
of ``⟨A_i, UUᵀ⟩`` is ``(A_i + A_iᵀ)U = 2 sym(A_i) U``; a hand-written gradient
``(1/m) Σ_i r_i A_i U`` that skips the symmetrisation is therefore not another convention but a
bug, for which no step makes the user's dynamics ours (:mod:`theorems.diagnosis` reports it as
"not plain GD", and the claims fail on it).

The initialisation. ``init="alpha_ubar"`` is ours, ``U_0 = αŪ``. ``"sqrt_alpha_identity"``
parameterises the start by the scale of ``X_0 = U_0U_0ᵀ = α_user I``, as in the
implicit-regularisation literature, so ``U_0 = √α_user · I`` (r̂ = d): our α is ``√α_user``
with ``Ū = I`` (spectral norm 1). The matrix U_0 itself is the same in both conventions.

Named conventions (``k`` = μ/η; residuals are unit unless the operator is normalised):

===================  ===================================  =========  ==========================================
constant             user's loss                          η          where it occurs
===================  ===================================  =========  ==========================================
PAPER                (1/4m) Σ r_i² = ¼‖𝒜(UUᵀ) − y‖²       μ          Jin et al. 2023 eq. (1) (ours)
HALF_MEAN            (1/2m) Σ r_i²                        μ/2        ``0.5 * np.mean(r**2)``,
                                                                     ``optax.l2_loss(pred, y).mean()``
MSE                  (1/m) Σ r_i²                         μ/4        ``torch.nn.functional.mse_loss(pred, y)``
                                                                     (default ``reduction="mean"``)
HALF_SUM             ½ Σ r_i²                             μ/(2m)     ``0.5 * np.sum(r**2)`` with
                                                                     ``r_i = ⟨A_i, UUᵀ⟩ − y_i``
NORMALISED_HALF      ½‖𝒜(UUᵀ) − y‖², 𝒜 as ours            μ/2        least squares on the normalised
                                                                     operator; ½‖UUᵀ − Z*‖²_F on full
                                                                     observation
SUM                  Σ r_i²                               μ/(4m)     ``np.sum(r**2)``, ``mse_loss(...,
                                                                     reduction="sum")``
SQRT_ALPHA_IDENTITY  as PAPER                             μ          ``U_0 = √α·I``: our α = √α_user
===================  ===================================  =========  ==========================================

:data:`CONVENTIONS` maps these names to the constants; :meth:`Convention.replace` derives
others, e.g. ``HALF_MEAN.replace(symmetric=False)``.
"""
from __future__ import annotations

import dataclasses
import inspect
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

import numpy as np

from ._validation import as_float_array, check_symmetric, nonneg_int, positive_scalar
from .groundtruth import GroundTruth, ground_truth_from_matrix
from .operators import check_measurements, operator_from_matrices
from .problems import SensingProblem

REDUCTIONS = ("mean", "sum")
MEASUREMENT_SCALES = ("unit", "sqrt_m")
STEP_RULES = ("plain",)
INITS = ("alpha_ubar", "sqrt_alpha_identity")

#: Default relative tolerance of :meth:`Convention.problem_to_ours` on ``‖y − 𝒜(Z*)‖``: far
#: above float64 round-off and the ~1e-7 of measurements computed in float32, far below the
#: smallest convention error (a factor √m ≥ √2 in y).
MEASUREMENT_RTOL = 1e-5


@dataclass(frozen=True)
class Convention:
    """How a user's code writes the sensing loss, its gradient step and its initialisation.

    Parameters
    ----------
    loss_factor : float
        The constant c in front of the user's loss, e.g. 0.5 for ``0.5 * np.mean(r**2)``;
        positive and finite. Ours is 1/4.
    reduction : {"mean", "sum"}
        Whether the user's loss averages (``c (1/m) Σ_i``) or sums (``c Σ_i``) the squared
        residuals. Ours is ``"mean"``.
    measurement_scale : {"unit", "sqrt_m"}
        ``"unit"``: the user's residual is ``⟨A_i, UUᵀ⟩ − y_i`` with ``y_i = ⟨A_i, Z*⟩`` (ours,
        written with the raw A_i). ``"sqrt_m"``: the user's operator is normalised as ours, the
        residual is ``m^(-1/2)⟨A_i, UUᵀ⟩ − y_i`` and the user's y is ours.
    step_rule : {"plain"}
        How the user's step η enters: ``"plain"``, ``U ← U − η∇f_user(U)`` with the gradient of
        the user's own loss.
    symmetric : bool
        Whether the user's A_i are symmetric. When False they are replaced by
        ``sym(A_i) = (A_i + A_iᵀ)/2`` on the way to ours (same y, same loss).
    init : {"alpha_ubar", "sqrt_alpha_identity"}
        ``"alpha_ubar"``: ``U_0 = αŪ`` (ours). ``"sqrt_alpha_identity"``: ``U_0 = √α·I``,
        the user's α is the scale of ``U_0U_0ᵀ``.

    Notes
    -----
    All maps follow from one factor ``k(m) = 4 c m^p`` (:meth:`factor`, module docstring):
    ``f_user = k f``, ``∇f_user = k ∇f`` and ``μ = k η``.
    """

    loss_factor: float = 0.25
    reduction: str = "mean"
    measurement_scale: str = "unit"
    step_rule: str = "plain"
    symmetric: bool = True
    init: str = "alpha_ubar"

    def __post_init__(self):
        object.__setattr__(self, "loss_factor", positive_scalar(self.loss_factor, "loss_factor"))
        for name, choices in (("reduction", REDUCTIONS), ("measurement_scale", MEASUREMENT_SCALES),
                              ("step_rule", STEP_RULES), ("init", INITS)):
            value = getattr(self, name)
            if not (isinstance(value, str) and value in choices):
                raise ValueError(f"{name} must be one of {choices}, got {value!r}")
        if not isinstance(self.symmetric, (bool, np.bool_)):
            raise TypeError(f"symmetric must be a bool, got {type(self.symmetric).__name__}")
        object.__setattr__(self, "symmetric", bool(self.symmetric))

    def replace(self, **changes) -> "Convention":
        """A copy with the given fields changed (validated as in the constructor)."""
        names = [f.name for f in dataclasses.fields(self)]
        unknown = sorted(set(changes) - set(names))
        if unknown:
            raise TypeError(f"Convention has no field {unknown[0]!r}; its fields are {', '.join(names)}")
        return dataclasses.replace(self, **changes)

    # ------------------------------------------------------------ the factor
    @property
    def m_power(self) -> int:
        """p in ``k = 4 c m^p``: 1 for a sum over unit residuals, 0 for a mean over them or a
        sum over normalised ones, −1 for a mean over normalised ones."""
        return 1 - (self.reduction == "mean") - (self.measurement_scale == "sqrt_m")

    def factor(self, m: int | None = None) -> float:
        """``k = f_user / f = ∇f_user / ∇f = μ / η`` for m measurements.

        Parameters
        ----------
        m : int, optional
            Number of measurements; required unless :attr:`m_power` is 0.

        Raises
        ------
        ValueError
            If ``m`` is needed but missing, or not a positive integer.
        """
        if m is not None:
            m = nonneg_int(m, "m", minimum=1)
        if self.m_power == 0:
            return 4.0 * self.loss_factor
        if m is None:
            raise ValueError(f"m is required: the step and loss of this convention scale with the "
                             f"number of measurements ({self.describe()})")
        return 4.0 * self.loss_factor * float(m) ** self.m_power

    def step_to_ours(self, eta: float, m: int | None = None) -> float:
        """Our step ``μ = k η`` for the user's step ``eta`` (``m`` as in :meth:`factor`)."""
        eta = positive_scalar(eta, "eta")
        return _mapped(eta * self.factor(m), "mu", "eta", eta)

    def step_from_ours(self, mu: float, m: int | None = None) -> float:
        """The user's step ``η = μ / k`` that makes their run ours at step ``mu``."""
        mu = positive_scalar(mu, "mu")
        return _mapped(mu / self.factor(m), "eta", "mu", mu)

    def loss_to_ours(self, value: float, m: int | None = None) -> float:
        """Our ``f(U)`` from the user's loss ``value`` at the same U (``f = f_user / k``)."""
        value = positive_scalar(value, "value", allow_zero=True)
        return value / self.factor(m)

    def loss_from_ours(self, value: float, m: int | None = None) -> float:
        """The user's loss at U from our ``f(U)`` ``value`` (``f_user = k f``)."""
        value = positive_scalar(value, "value", allow_zero=True)
        return value * self.factor(m)

    # -------------------------------------------------------- initialisation
    def alpha_to_ours(self, alpha_user: float) -> float:
        """Our α (``U_0 = αŪ``) for the user's initial scale ``alpha_user``."""
        alpha_user = positive_scalar(alpha_user, "alpha_user")
        if self.init == "sqrt_alpha_identity":
            return math.sqrt(alpha_user)
        return alpha_user

    def alpha_from_ours(self, alpha: float) -> float:
        """The user's initial scale for our α."""
        alpha = positive_scalar(alpha, "alpha")
        if self.init == "sqrt_alpha_identity":
            return _mapped(alpha * alpha, "alpha_user", "alpha", alpha)
        return alpha

    def initial_factor(self, alpha_user: float, d: int, r: int | None = None, *,
                       ubar=None) -> np.ndarray:
        """The user's ``U_0`` of shape (d, r), the same matrix in both conventions.

        Parameters
        ----------
        alpha_user : float
            The user's initial scale.
        d : int
            Dimension.
        r : int, optional
            Columns r̂ of U_0; must equal d for ``"sqrt_alpha_identity"`` (default d, or
            ``ubar``'s).
        ubar : (d, r) array_like, optional
            Ū, required for ``"alpha_ubar"`` (the claims take ``‖Ū‖ = 1``; not enforced here).

        Returns
        -------
        (d, r) ndarray
            ``√alpha_user · I`` or ``alpha_user · Ū``.
        """
        alpha_user = positive_scalar(alpha_user, "alpha_user")
        d = nonneg_int(d, "d", minimum=1)
        if r is not None:
            r = nonneg_int(r, "r", minimum=1)
        if self.init == "sqrt_alpha_identity":
            if ubar is not None:
                raise ValueError("ubar is not used by init='sqrt_alpha_identity' (U_0 = √α·I)")
            if r is not None and r != d:
                raise ValueError(f"r must equal d = {d} for init='sqrt_alpha_identity' "
                                 f"(U_0 = √α·I is square), got r = {r}")
            return math.sqrt(alpha_user) * np.eye(d)
        if ubar is None:
            raise ValueError("ubar is required for init='alpha_ubar' (U_0 = α·Ū): pass the user's Ū "
                             "(e.g. sensing.initial_factor(d, r, 1.0, rng, scaling='unit'))")
        ubar = as_float_array(ubar, "ubar", ndim=2)
        if ubar.shape[0] != d or (r is not None and ubar.shape[1] != r):
            want = f"({d}, {r})" if r is not None else f"({d}, r)"
            raise ValueError(f"ubar must have shape {want}, got {ubar.shape}")
        return alpha_user * ubar

    # ------------------------------------------------------------------ data
    def data_from_ours(self, problem: SensingProblem) -> tuple[np.ndarray, np.ndarray]:
        """The sensing matrices and measurements of ``problem`` in the user's convention.

        Returns
        -------
        A : (m, d, d) ndarray
            The symmetric ``A_i`` (also valid input for a ``symmetric=False`` convention).
        y : (m,) ndarray
            ``⟨A_i, Z*⟩`` for ``"unit"`` (``√m`` times ours), ours for ``"sqrt_m"``.
        """
        from .asymmetric import AsymmetricProblem

        # an asymmetric problem is given through its lift: the symmetric Ã_i on S^{d1+d2}
        if not isinstance(problem, (SensingProblem, AsymmetricProblem)):
            raise TypeError(f"problem must be a SensingProblem or an AsymmetricProblem, got "
                            f"{type(problem).__name__}")
        op = problem.op
        y = np.array(check_measurements(op, problem.y), dtype=np.float64)
        if self.measurement_scale == "unit":
            y *= math.sqrt(op.m)
        return op.matrices(), y

    def data_to_ours(self, A, y, **operator_options):
        """Our operator and measurements from the user's ``A`` (m, d, d) and ``y`` (m,).

        Non-symmetric ``A_i`` are symmetrised when ``symmetric=False`` and rejected otherwise;
        ``operator_options`` go to :func:`sensing.operator_from_matrices`.

        Returns
        -------
        op : SensingOperator
        y : (m,) ndarray
            ``y / √m`` for ``"unit"``, ``y`` for ``"sqrt_m"``.
        """
        A = as_float_array(A, "A", ndim=3)
        if A.shape[1] != A.shape[2]:
            raise ValueError(f"A must have shape (m, d, d) with square A_i, got {A.shape}")
        if self.symmetric:
            try:
                check_symmetric(A, "A")
            except ValueError as exc:
                raise ValueError(f"{exc}; this convention declares symmetric A_i: use "
                                 "convention.replace(symmetric=False) for non-symmetric ones") from None
        m = A.shape[0]
        y = as_float_array(y, "y", ndim=1)
        if y.shape != (m,):
            raise ValueError(f"y must have shape (m,) = ({m},) (one entry per A_i), got {y.shape}")
        if self.measurement_scale == "unit":
            y = y / math.sqrt(m)
        op = operator_from_matrices(A, **operator_options)
        return op, check_measurements(op, y)

    def problem_to_ours(self, A, y, truth, *, rtol: float | None = MEASUREMENT_RTOL,
                        **operator_options) -> SensingProblem:
        """A :class:`sensing.SensingProblem` from the user's ``A``, ``y`` and ground truth.

        Parameters
        ----------
        A, y
            As in :meth:`data_to_ours`.
        truth : GroundTruth or (d, d) array_like
            Z* (a matrix goes through :func:`sensing.ground_truth_from_matrix`). A problem needs
            it; without one, use :meth:`data_to_ours`.
        rtol : float or None
            Require ``‖y − 𝒜(Z*)‖ ≤ rtol · ‖𝒜(Z*)‖`` in our scaling: the claims are about
            noiseless measurements, and a wrong ``measurement_scale`` shows up here as a factor
            √m. ``None`` skips the check (noisy data).

        Raises
        ------
        ValueError
            If the shapes disagree or y is not ``𝒜(Z*)`` to ``rtol``.
        """
        op, y = self.data_to_ours(A, y, **operator_options)
        if truth is None:
            raise TypeError("truth must be a GroundTruth or a PSD (d, d) matrix; without Z* use "
                            "data_to_ours(A, y) for (op, y)")
        if not isinstance(truth, GroundTruth):
            truth = ground_truth_from_matrix(truth)
        if truth.d != op.d:
            raise ValueError(f"truth must be {op.d} x {op.d} like the A_i, got d = {truth.d}")
        if rtol is not None:
            rtol = positive_scalar(rtol, "rtol")
            expected = op.forward(truth.Z)
            err, scale = float(np.linalg.norm(y - expected)), float(np.linalg.norm(expected))
            if not err <= rtol * scale:
                ratio = float(np.linalg.norm(y)) / max(scale, 1e-300)
                hint = ""
                if any(abs(ratio / v - 1.0) < 1e-3 for v in (math.sqrt(op.m), 1 / math.sqrt(op.m))):
                    hint = (f" (‖y‖ is {ratio:.4g} = √m^±1 times ‖𝒜(Z*)‖: check measurement_scale, "
                            "'unit' for y_i = ⟨A_i, Z*⟩, 'sqrt_m' for y_i = m^(-1/2)⟨A_i, Z*⟩)")
                raise ValueError(f"y is not the measurement of truth under this convention: "
                                 f"‖y − 𝒜(Z*)‖ = {err:.3g} > rtol·‖𝒜(Z*)‖ = {rtol * scale:.3g}{hint}; "
                                 "pass rtol=None for noisy measurements")
        return SensingProblem(truth, op, y)

    # -------------------------------------------------------------- dynamics
    def adapt(self, user_fn: Callable) -> Callable:
        """A dynamics ``fn(problem, U0, *, step, steps)`` (:mod:`sensing.dynamics`) running
        ``user_fn`` in this convention.

        Parameters
        ----------
        user_fn : callable
            ``user_fn(A, y, U0, *, step, steps)`` in the user's convention: ``A`` (m, d, d) and
            ``y`` from :meth:`data_from_ours`, ``U0`` as given (the same matrix in both
            conventions), ``step`` the user's η. It yields or returns U_0, ..., U_steps.

        Returns
        -------
        callable
            ``fn(problem, U0, *, step, steps)`` with our μ as ``step``: it maps the problem to
            (A, y) and μ to η once per call and passes the user's iterates through unchanged.
            ``fn.convention`` and ``fn.user_fn`` say what it wraps.
        """
        if not callable(user_fn):
            raise TypeError(f"user_fn must be callable, got {type(user_fn).__name__}")
        try:
            inspect.signature(user_fn).bind(None, None, None, step=1.0, steps=1)
        except TypeError as exc:
            raise TypeError(f"user_fn must accept (A, y, U0, *, step, steps): {exc}") from None
        except ValueError:  # no signature to inspect (a builtin): trust it
            pass
        convention = self

        def fn(problem, U0, *, step, steps):
            mu = positive_scalar(step, "step")
            steps = nonneg_int(steps, "steps")
            A, y = convention.data_from_ours(problem)
            return user_fn(A, y, U0, step=convention.step_from_ours(mu, problem.op.m), steps=steps)

        # named after user_fn so that verdicts name the user's code; no __wrapped__, whose
        # signature (A, y, U0, ...) inspect.signature would report instead of fn's
        fn.__name__ = getattr(user_fn, "__name__", "user_fn")
        fn.__qualname__ = getattr(user_fn, "__qualname__", fn.__name__)
        fn.__module__ = getattr(user_fn, "__module__", None) or __name__
        fn.__doc__ = f"{fn.__qualname__} adapted from the convention {self.describe()}"
        fn.convention, fn.user_fn = self, user_fn
        return fn

    # ------------------------------------------------------------------ text
    def describe(self) -> str:
        """One line: the user's loss, their measurements and η in terms of μ (and what differs
        from ours in A_i or U_0)."""
        c = _fraction(self.loss_factor)
        if self.reduction == "mean":
            if c is None:
                front = f"{self.loss_factor:.6g}/m "
            else:
                front = f"{c.numerator}/m " if c.denominator == 1 else f"{c.numerator}/({c.denominator}m) "
        else:
            front = "" if c == 1 else (f"{self.loss_factor:.6g} " if c is None else f"{c} ")
        s = "m^(-1/2)" if self.measurement_scale == "sqrt_m" else ""
        text = f"f = {front}Σ ({s}⟨A_i,UUᵀ⟩ − y_i)², y_i = {s}⟨A_i,Z*⟩, η = {self._eta_text()}"
        if not self.symmetric:
            text += ", A_i not symmetric (ours: sym(A_i))"
        if self.init == "sqrt_alpha_identity":
            text += ", U_0 = √α_user·I (our α = √α_user, Ū = I)"
        return text

    def _eta_text(self) -> str:
        # η = μ / (4 c m^p), written as a fraction of μ
        num, den = [], []
        inv = _fraction(self.loss_factor)
        if inv is None:
            den.append(f"{4 * self.loss_factor:.6g}")
        else:
            inv = 1 / (4 * inv)
            num += [str(inv.numerator)] if inv.numerator != 1 else []
            den += [str(inv.denominator)] if inv.denominator != 1 else []
        if self.m_power == 1:
            den.append("m")
        elif self.m_power == -1:
            num.append("m")
        text = "".join(num) + "μ"
        if den:
            text += "/" + ("".join(den) if len(den) == 1 else f"({''.join(den)})")
        return text


def _fraction(x: float) -> Fraction | None:
    """``x`` as a small fraction when it is one (0.25 -> 1/4), else None."""
    f = Fraction(x).limit_denominator(1000)
    return f if math.isclose(float(f), x, rel_tol=1e-12) else None


def _mapped(value: float, name: str, source: str, given: float) -> float:
    # a step or α at the edge of float64 can over- or underflow through k (or the square)
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{source} = {given!r} maps to {name} = {value!r}, outside float64's "
                         "positive finite range")
    return float(value)


PAPER = Convention()
HALF_MEAN = Convention(loss_factor=0.5)
MSE = Convention(loss_factor=1.0)
HALF_SUM = Convention(loss_factor=0.5, reduction="sum")
NORMALISED_HALF = Convention(loss_factor=0.5, reduction="sum", measurement_scale="sqrt_m")
SUM = Convention(loss_factor=1.0, reduction="sum")
SQRT_ALPHA_IDENTITY = PAPER.replace(init="sqrt_alpha_identity")

#: The named conventions of the module docstring's table, by name.
CONVENTIONS = {"PAPER": PAPER, "HALF_MEAN": HALF_MEAN, "MSE": MSE, "HALF_SUM": HALF_SUM,
               "NORMALISED_HALF": NORMALISED_HALF, "SUM": SUM,
               "SQRT_ALPHA_IDENTITY": SQRT_ALPHA_IDENTITY}
