"""Route cost forms: the one module where a route's trade cost is written.

A route's kind (`Problem.kind`, from its previous flow and expansion elasticity, `route_kind`) selects
its form in `FORMS`. Each form gives, for the routes of its kind (arrays over all routes; entries of
other kinds are ignored by the caller), with tau = transport cost + tariff, a = cost adjustment,
X_prev = previous flow, e = expansion elasticity, s = new-flow slope (data units: quantity Q, price P):

* `marginal_cost(p, X)` MC(X) (P);
* `marginal_cost_derivative(p, X)` dMC/dX (P/Q);
* `total_cost(p, X)` TC(X), the integral of MC from 0 (P x Q);
* `flat(p)`: the marginal cost does not rise with the flow (its flow is then not a function of the
  price gap);
* `response(p, gap)`: the inverse marginal cost on rising routes, the flow X(gap) at which MC = gap
  and its derivative dX/dgap (0 and 0 on flat routes);
* `quadratic_model(p, X, floor)`: the line c + h*X the SQP uses for MC around X (h >= 0).

The forms (README, "The model"):

    isoelastic (traded last period, finite e):  MC = a + tau*(X/X_prev)^(1/e)
    constant   (traded last period, e = inf):   MC = a + tau
    new        (no trade last period):          MC = a + tau + s*X
    logit      (traded in the base year, with a trade elasticity):  MC = a + tau + w*ln(X/A)

The logit form (`Logit`) is the entropy-regularised route cost: w = P_importer/epsilon (P, the logit
scale, from the trade elasticity epsilon at the base trade-point price) and A the route's anchor flow
(Q), fixed at calibration (`log_anchor` = ln A). Its flow X = A*exp((gap - a - tau)/w) is positive at
every price gap, so observed two-way trade and partner diversification are an equilibrium with trade
costs >= 0 (heterogeneity, not negative costs), and a tariff t moves the route's flow by exp(-t/w):
graded, not all or nothing. With fixed supply and demand the equilibrium minimises the KL divergence
to the seed A*exp(-(a + tau)/w), which is what RAS solves: the logit SPE contains RAS as its limit.

To change a form, edit its class; to add one, add a class, a kind number and a `route_kind` rule, and
its case in `tests/test_feature_route_costs.py`. `petra.model.equilibrium_math` dispatches on the kind
(`by_kind`); the solver, refinement, certificate, calibration and projections use only that.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from petra.model.problem import Problem

ISOELASTIC, CONSTANT, NEW, LOGIT = 0, 1, 2, 3
ROUTE_KIND_NAMES = {ISOELASTIC: "isoelastic", CONSTANT: "constant", NEW: "new", LOGIT: "logit"}
MAX_LOGIT_EXPONENT = 600.0  # cap of (gap - a - tau)/w + ln A in the logit response (exp overflows at 709)
FLAT_TAU = 1e-9  # an isoelastic route whose rising part tau*(X/X_prev)^(1/e) stays below this share of
# its commodity's price scale for every flow up to the commodity's total market quantity is numerically
# a constant-cost route (a tau of 1e-9 USD/t on a 600 USD/t commodity stalled the SQP: its quadratic
# model's curvature vanishes while the certificate cannot tell it from a constant cost)


def route_kind(flow_prev: np.ndarray, elasticity: np.ndarray, logit_scale: np.ndarray | None = None
               ) -> np.ndarray:
    """LOGIT where the route has a logit scale (> 0, finite: it traded in the base year and has a trade
    elasticity; whatever its last flow), else ISOELASTIC where the route traded last period with a finite
    elasticity, CONSTANT where it traded with an infinite one, NEW where it did not trade."""
    kind = np.where(flow_prev > 0, np.where(np.isfinite(elasticity), ISOELASTIC, CONSTANT), NEW)
    if logit_scale is None:
        return kind
    w = np.asarray(logit_scale, dtype=float)
    return np.where(np.isfinite(w) & (w > 0), LOGIT, kind)


class Isoelastic:
    """GLOBIOM's trade-expansion cost: MC = a + tau*(X/X_prev)^(1/e), TC = a*X + tau*X_prev/(1+1/e) *
    (X/X_prev)^(1+1/e)."""

    kind = ISOELASTIC

    @staticmethod
    def _ratio_inv_e(p: Problem, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mine = p.kind == ISOELASTIC
        ratio = np.where(mine, np.maximum(X, 0.0) / np.where(mine, p.flow_prev, 1.0), 1.0)
        inv_e = np.where(mine, 1.0 / np.where(mine, p.elasticity, 1.0), 0.0)
        return ratio, inv_e

    def marginal_cost(self, p: Problem, X: np.ndarray) -> np.ndarray:
        ratio, inv_e = self._ratio_inv_e(p, X)
        return p.adjustment + p.tau * ratio ** inv_e

    def marginal_cost_derivative(self, p: Problem, X: np.ndarray) -> np.ndarray:
        """+inf at X = 0 for e > 1 (a vertical tangent)."""
        ratio, inv_e = self._ratio_inv_e(p, X)
        with np.errstate(divide="ignore"):
            return p.tau * inv_e / np.where(p.kind == ISOELASTIC, p.flow_prev, 1.0) * ratio ** (inv_e - 1.0)

    def total_cost(self, p: Problem, X: np.ndarray) -> np.ndarray:
        ratio, inv_e = self._ratio_inv_e(p, X)
        return p.adjustment * X + p.tau * p.flow_prev / (1.0 + inv_e) * ratio ** (1.0 + inv_e)

    def flat(self, p: Problem) -> np.ndarray:
        """tau * (Q/X_prev)^(1/e) <= FLAT_TAU x price scale, Q the commodity's total market quantity."""
        c = p.commodity_index[p.exporter]
        total = np.bincount(p.commodity_index, np.maximum(p.S0, p.D0), minlength=len(p.p_scale))[c]
        mine = (p.kind == ISOELASTIC) & (p.flow_prev > 0)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            ratio = np.where(mine, np.maximum(total, p.flow_prev) / np.where(mine, p.flow_prev, 1.0), 1.0)
            top = p.tau * ratio ** (1.0 / np.where(mine, p.elasticity, 1.0))
        return ~(top > FLAT_TAU * p.p_scale[c])

    def response(self, p: Problem, gap: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """X = X_prev * ((gap - a)/tau)^e for gap > a, else 0."""
        rising = (p.kind == ISOELASTIC) & ~self.flat(p)
        tau = np.where(rising, p.tau, 1.0)
        e = np.where(rising, p.elasticity, 1.0)
        z = np.maximum((gap - p.adjustment) / tau, 0.0)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            X = p.flow_prev * z ** e
            dX = np.where(z > 0, p.flow_prev * e / tau * z ** (e - 1.0), 0.0)
        return np.where(rising, X, 0.0), np.where(rising, dX, 0.0)

    def quadratic_model(self, p: Problem, X: np.ndarray, floor: float) -> tuple[np.ndarray, np.ndarray]:
        """Always through the true MC at X (so the quadratic model's gradient is exact there); the
        tangent's slope where X >= floor*X_prev, below that the secant from X to floor*X_prev, which stays
        finite at X = 0 (where the tangent is vertical for e > 1) and, for e > 1, lies below the true MC,
        so that a route with a positive price gap is never locked out at zero flow."""
        X = np.maximum(X, 0.0)
        mc = self.marginal_cost(p, X)
        Xf = floor * p.flow_prev
        low = X < Xf
        h = self.marginal_cost_derivative(p, np.where(low, Xf, X))
        with np.errstate(divide="ignore", invalid="ignore"):
            secant = (self.marginal_cost(p, Xf) - mc) / (Xf - X)
        h = np.where(low, secant, h)
        return mc - h * X, h


class Constant:
    """Constant cost (a route that traded with an infinite expansion elasticity): MC = a + tau."""

    kind = CONSTANT

    def marginal_cost(self, p: Problem, X: np.ndarray) -> np.ndarray:
        return p.adjustment + p.tau + 0.0 * X

    def marginal_cost_derivative(self, p: Problem, X: np.ndarray) -> np.ndarray:
        return np.zeros_like(np.asarray(X, dtype=float))

    def total_cost(self, p: Problem, X: np.ndarray) -> np.ndarray:
        return (p.adjustment + p.tau) * X

    def flat(self, p: Problem) -> np.ndarray:
        return np.ones(p.n_routes, dtype=bool)

    def response(self, p: Problem, gap: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros(p.n_routes), np.zeros(p.n_routes)

    def quadratic_model(self, p: Problem, X: np.ndarray, floor: float) -> tuple[np.ndarray, np.ndarray]:
        return p.adjustment + p.tau, np.zeros(p.n_routes)


class New:
    """A route without trade last period: MC = a + tau + s*X, quadratic total cost."""

    kind = NEW

    def marginal_cost(self, p: Problem, X: np.ndarray) -> np.ndarray:
        return p.adjustment + p.tau + p.slope * X

    def marginal_cost_derivative(self, p: Problem, X: np.ndarray) -> np.ndarray:
        return p.slope + 0.0 * np.asarray(X, dtype=float)

    def total_cost(self, p: Problem, X: np.ndarray) -> np.ndarray:
        return (p.adjustment + p.tau) * X + 0.5 * p.slope * X * X

    def flat(self, p: Problem) -> np.ndarray:
        return p.slope <= 0

    def response(self, p: Problem, gap: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """X = (gap - a - tau)/s above the cost at zero flow, else 0."""
        rising = (p.kind == NEW) & (p.slope > 0)
        slope = np.where(rising, p.slope, 1.0)
        over = gap - p.adjustment - p.tau
        X = np.maximum(over, 0.0) / slope
        dX = np.where(over > 0, 1.0 / slope, 0.0)
        return np.where(rising, X, 0.0), np.where(rising, dX, 0.0)

    def quadratic_model(self, p: Problem, X: np.ndarray, floor: float) -> tuple[np.ndarray, np.ndarray]:
        return p.adjustment + p.tau, p.slope.astype(float)


class Logit:
    """Entropy (logit) route cost: MC = a + tau + w*ln(X/A), TC = (a + tau)*X + w*X*(ln(X/A) - 1)
    (w = `logit_scale`, ln A = `log_anchor`); MC -> -inf as X -> 0, so the flow is always positive."""

    kind = LOGIT

    @staticmethod
    def _params(p: Problem) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        mine = p.kind == LOGIT
        if p.logit_scale is None or not mine.any():
            return mine, np.ones(p.n_routes), np.zeros(p.n_routes)
        w = np.where(mine, p.logit_scale, 1.0)
        log_a = np.where(mine, np.minimum(p.log_anchor, MAX_LOGIT_EXPONENT), 0.0)
        return mine, w, log_a

    def marginal_cost(self, p: Problem, X: np.ndarray) -> np.ndarray:
        """-inf at X = 0."""
        mine, w, log_a = self._params(p)
        with np.errstate(divide="ignore"):
            log_x = np.log(np.where(mine, np.maximum(X, 0.0), 1.0))
        return p.adjustment + p.tau + np.where(mine, w * (log_x - log_a), 0.0)

    def marginal_cost_derivative(self, p: Problem, X: np.ndarray) -> np.ndarray:
        """w/X, +inf at X = 0."""
        mine, w, _ = self._params(p)
        with np.errstate(divide="ignore"):
            return np.where(mine, w / np.where(mine, np.maximum(X, 0.0), 1.0), 0.0)

    def total_cost(self, p: Problem, X: np.ndarray) -> np.ndarray:
        mine, w, log_a = self._params(p)
        Xp = np.where(mine, np.maximum(X, 0.0), 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            entropy = np.where(Xp > 0, Xp * (np.log(np.where(Xp > 0, Xp, 1.0)) - log_a - 1.0), 0.0)
        return (p.adjustment + p.tau) * X + w * entropy

    def flat(self, p: Problem) -> np.ndarray:
        return np.zeros(p.n_routes, dtype=bool)

    def response(self, p: Problem, gap: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """X = A*exp((gap - a - tau)/w) (> 0 at every gap), dX/dgap = X/w."""
        mine, w, log_a = self._params(p)
        z = np.minimum(log_a + (gap - p.adjustment - p.tau) / w, MAX_LOGIT_EXPONENT)
        X = np.where(mine, np.exp(np.where(mine, z, 0.0)), 0.0)
        return X, np.where(mine, X / w, 0.0)

    def quadratic_model(self, p: Problem, X: np.ndarray, floor: float) -> tuple[np.ndarray, np.ndarray]:
        """The tangent at max(X, floor*A) (finite where X = 0, where the true MC is -inf; it lies above
        the concave MC, so a route is never locked out)."""
        mine, w, log_a = self._params(p)
        Xt = np.maximum(np.maximum(X, 0.0), floor * np.exp(log_a))
        h = np.where(mine, w / np.where(mine, Xt, 1.0), 0.0)
        return self.marginal_cost(p, Xt) - h * Xt, h


FORMS = {form.kind: form for form in (Isoelastic(), Constant(), New(), Logit())}


def by_kind(p: Problem, method: str, *args) -> np.ndarray | tuple[np.ndarray, ...]:
    """Each route's value of `method` from the form of its kind (a tuple for tuple-valued methods)."""
    results = {kind: getattr(form, method)(p, *args) for kind, form in FORMS.items()}
    if isinstance(results[NEW], tuple):
        return tuple(_select(p, {k: v[i] for k, v in results.items()}) for i in range(len(results[NEW])))
    return _select(p, results)


def _select(p: Problem, values: dict) -> np.ndarray:
    out = np.zeros(p.n_routes)
    for kind, v in values.items():
        out = np.where(p.kind == kind, v, out)
    return out
