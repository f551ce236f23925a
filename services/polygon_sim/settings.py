"""Settings of the Polygon simulator, read from `SIM_*` environment variables."""

from __future__ import annotations

from datetime import date

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class SimulatorSettings(BaseSettings):
    """Where the simulator listens, which market it simulates and which faults it injects.

    Lists are JSON in the environment, e.g. `SIM_MALFORMED_TICKERS='["XYZ"]'`.
    """

    model_config = SettingsConfigDict(
        env_prefix="SIM_", env_file=".env", env_ignore_empty=True, extra="ignore"
    )

    host: str = "127.0.0.1"
    port: int = Field(8800, ge=0, le=65535)
    log_level: str = "warning"
    access_log: bool = False
    warm_start: bool = Field(True, description="Precompute walk checkpoints before serving")
    # The market: everything below (with `seed`) fixes every ticker and every bar.
    seed: int = Field(42, description="Seeds the market and the fault decisions")
    universe_size: int = Field(12_000, ge=10, le=200_000, description="Tickers, incl. delisted")
    history_start: date = Field(date(2015, 1, 2), description="First simulated day")
    history_end: date | None = Field(
        None, description="End of the window listings are drawn over; None means today"
    )
    today: date | None = Field(
        None, description="The clock: data are served up to it; None means history_end"
    )
    bad_corporate_actions: bool = Field(
        False,
        description="Add hostile splits and dividends (see /_sim/truth/bad_corporate_actions)",
    )
    # Auth and entitlements.
    api_keys: list[str] = Field(default_factory=lambda: ["demo-key"])
    unentitled_tickers: list[str] = Field(
        default_factory=list, description="Range requests for these answer 403 NOT_AUTHORIZED"
    )
    # Rate limit per API key; 0 disables it. The free tier allows 5 per minute.
    rate_limit_requests: int = Field(0, ge=0)
    rate_limit_window_s: float = Field(60.0, gt=0)
    # Faults, decided from (seed, request, attempt) so a retry can succeed reproducibly.
    latency_mean_ms: float = Field(0.0, ge=0)
    latency_jitter_ms: float = Field(0.0, ge=0)
    error_5xx_share: float = Field(0.0, ge=0, le=1)
    malformed_share: float = Field(0.0, ge=0, le=1)
    results_null_share: float = Field(0.0, ge=0, le=1)
    delayed_share: float = Field(0.0, ge=0, le=1)
    malformed_tickers: list[str] = Field(
        default_factory=list, description="Range requests for these always get a truncated body"
    )

    @model_validator(mode="after")
    def _check(self) -> SimulatorSettings:
        shares = (
            self.error_5xx_share
            + self.malformed_share
            + self.results_null_share
            + self.delayed_share
        )
        if shares > 1:
            raise ValueError("fault shares add up to more than 1")
        if self.history_end is not None and self.history_end < self.history_start:
            raise ValueError("history_end is before history_start")
        if self.today is not None and self.today < self.history_start:
            raise ValueError("today is before history_start")
        return self
