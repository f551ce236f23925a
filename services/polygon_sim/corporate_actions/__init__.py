"""Corporate actions: split and dividend events as columns, the books that page them, the store."""
