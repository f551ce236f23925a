"""The fetcher: daily bars of one ticker batch into one raw object."""
