"""The synthetic market: listings, trading calendar, price walks and bars, and `Market`, the facade
that answers for all of them (`market.market.Market`)."""
