"""A page of rows counted beforehand, as the pager macro (templates/macros.html) reads it."""

import math
from dataclasses import dataclass, field


@dataclass
class Page:
    """What the pager macro reads, for a page of rows counted beforehand."""

    page: int
    per_page: int
    total: int
    items: list = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1
