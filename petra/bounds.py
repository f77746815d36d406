"""The magnitudes petra accepts: one home for every bound on input values (README, "Accepted input").

Inputs are checked against these before anything reaches HiGHS, so no value can hand the solver a
problem whose coefficients span more than double precision and its tolerances can take. Units are
the dataset's: quantities in the commodity's unit (kt for the shipped data), prices and costs in
currency per unit (USD/t).
"""

from __future__ import annotations

QUANTITY_MAX = 1e12  # production, consumption, flows, quotas (1e12 kt = 1e15 t, 10^5 x world cereals)
ROUND_OFF = 1e-12  # a market's production or consumption below ROUND_OFF x the largest market quantity
# of its commodity (same table, same year) is round-off and is read as 0
MARKET_QUANTITY_MIN = 1e-30  # a market's production or consumption is 0 or at least this (tiny values
# below the solver's tolerances are accepted: calibration and round-off write them; 1e-300 is refused)
PRICE_MIN = 1e-6  # prices are > 0 and at least this
PRICE_MAX = 1e9  # prices, transport costs, tariffs, cost adjustments (magnitude), new-flow slopes
ELASTICITY_MAX = 1e3  # supply, demand and expansion elasticities (magnitude)
INTENSITY_MAX = 1e9  # resource use per unit produced (intensities.csv)
LOGIT_PREFERENCE_MAX = 100.0  # |preference| of a logit route in logit scales w = P_c / trade_elasticity:
# its anchor is its base flow x e^(preference/w), e^100 ~ 3e43. The shipped calibrations write at most
# 25, generated data with transport costs +-50 % 56; a hand instance solved up to 150 and failed at 199
# (a preference of 5e4 USD/t, 3,550 scales, overflowed the response's cap e^600 and failed, certificate 1)

RATE_MAX = 1000.0  # growth rates in scenario files, % per year (rates are > -100)
DRIVER_FACTOR_MIN = 1e-6  # compounded driver factors (demand, supply, transport cost) relative to the
DRIVER_FACTOR_MAX = 1e6  # base year must stay within [MIN, MAX]
INCOME_ELASTICITY_MAX = 10.0  # magnitude of the income elasticity of demand
AD_VALOREM_MAX = 10.0  # ad valorem tariffs as a fraction of the price (10 = 1000 %)
SCALE_MAX = 1e3  # tariff scale factors
LOG_SIGMA_MAX = 10.0  # sigma of a lognormal uncertainty rule (standard deviation of the log)

YEAR_MIN = 1000  # periods, base years and observed years are integers within [YEAR_MIN, YEAR_MAX]
YEAR_MAX = 3000
MAX_PERIODS = 200  # periods of a scenario file

# HiGHS crashed (segfault, bus error) on curvatures of 2e15 in scaled units: a market of 1e-13 kt with
# supply elasticity 0.5 among markets of ~100 kt (1e-15 relative; ROUND_OFF now reads it as 0). Scaled
# market curvatures (price/p_scale per quantity/q_scale of the commodity) above this are refused before
# HiGHS, naming the market.
MAX_SCALED_CURVATURE = 1e12
