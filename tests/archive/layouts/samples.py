"""Invented texts in the header shapes reprints are found in (no real article's sentences)."""

from __future__ import annotations

OUTLET_THEN_DATE = """Lanterns Return to the Old Quay
LANTERNS RETURN TO THE OLD QUAY
Trend, Azerbaijan
April 8 2010
Author: Mira Coldwell

The lantern makers of the old quay opened their workshops again on Monday.

A month after the flood, nine of the twelve workshops had dried out.
"""

OUTLET_THEN_SHORT_DATE = """Anatolia news agency
24 Apr 05

A ferry with forty passengers reached the harbour late, the operator said.
"""

OUTLET_WITH_BY_OUTLET_BYLINE = """Salt Flats Draw Early Visitors
Al-Monitor, Turkey
April 17 2015
By Deniz Arlow – Al-Monitor:

The salt flats drew their first visitors a fortnight early this year.
"""

OUTLET_WITH_BYLINE_TAG = """Journal of Turkish Weekly
March 29 2005
BYLINE: By Teo Marsh

The weekly council meeting ran past midnight for the first time in years.
"""

OUTLET_AND_DATE_ON_ONE_LINE = """Orchard Tax Postponed
Trend, Azerbaijan April 8 2010

The orchard tax will not be collected this autumn, the ministry said.
"""

INLINE_PAIRS = """Bridges of Paper
Source:Washington Post Date:21Jun2019

The paper bridge over the canal held for six hours before the rain came.
"""

INLINE_PAIRS_WITH_BAR = """Bridges of Paper
Source: Morning Ledger | Date: 3 March 2016

The paper bridge over the canal held for six hours before the rain came.
"""

PUBLISHED_WITH_TITLE_SUFFIX = """The tide clocks of Karavel | Opinion | Daily Sabah
Published : 14.10.2014 01:55:20

Karavel's tide clocks were wound by hand until last spring.
"""

PUBLISHED_WITH_READ_MORE = """The tide clocks of Karavel
Published : 14.10.2014 01:55:20

Karavel's tide clocks were wound by hand until last spring.

Read more: Hurriyet Daily News
"""

AVIM_COMMENTARY = """Notes on a Quiet Border
Commentary No : 2024 / 2
12.01.2024
3 min read

The border crossing at the pass has been quiet for a month.
"""

AVIM_YORUM = """Sessiz Bir Sınır Üzerine Notlar
Yorum No : 2020 / 5
06.03.2020
5 dk okuma

Geçitteki sınır kapısı bir aydır sessiz.
"""

FIRST_PUBLISHED_ENGLISH = """On the Salt Roads

This article was first published in the Cumhuriyet newspaper's online edition on 17 September 2020.

The salt roads were older than the towns along them.

20 September 2020
"""

FIRST_PUBLISHED_TURKISH = """Tuz Yolları

Bu yazı Cumhuriyet gazetesinin internet nüshasında 17 Eylül 2020'de yayınlanan yazının çevirisidir.

Tuz yolları kasabalardan eskiydi.
"""

ALMOST_OUTLET_LINE = """A Letter From the Valley
The valley is quiet in the evenings now.
Nothing else happened that week, as far as anyone remembers.
"""


def article_html(
    *,
    site: str = "The Riverside Courier",
    published: str = "2019-05-04T08:00:00Z",
    paragraphs: int = 5,
    charset: str = "utf-8",
    extra_head: str = "",
    url: str = "https://courier.example.org/2019/05/04/night-market",
) -> str:
    """A saved article page with navigation, a cookie notice, share buttons, a subscription
    box and comments around the article."""
    body = "".join(
        f"<p>Paragraph {number}: the night market on the river terraces reopened this week "
        "after a long winter, and the stall keepers said the first evening drew more walkers "
        "than any since the footbridge was rebuilt.</p>"
        for number in range(1, paragraphs + 1)
    )
    return f"""<!DOCTYPE html>
<html><head><meta charset="{charset}">
<title>Night market reopens | {site}</title>
<meta property="og:site_name" content="{site}">
<meta property="article:published_time" content="{published}">
<link rel="canonical" href="{url}">
<meta name="author" content="Lena Farrow">{extra_head}
</head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li></ul></nav>
<div class="cookie-banner">We use cookies to improve your experience. Accept all cookies</div>
<article><h1>Night market reopens</h1>{body}</article>
<div class="share-buttons">Share this on every network</div>
<aside class="subscribe">Subscribe to our newsletter for weekly digests</aside>
<section id="comments"><h3>Comments</h3><p>Lovely news, wrote a reader called Pim.</p></section>
<footer>Copyright the Riverside Courier</footer>
</body></html>"""


DIGEST = """Harbour Digest, issue 12
Today's topics: lanterns, bridges, tide clocks

----------
Lanterns Return to the Old Quay
Trend, Azerbaijan
April 8 2010

The lantern makers of the old quay opened their workshops again on Monday.
----------
Bridges of Paper
Source: Morning Ledger | Date: 3 March 2016

The paper bridge over the canal held for six hours before the rain came.
----------
The tide clocks of Karavel | Opinion | Daily Sabah
Published : 14.10.2014 01:55:20

Karavel's tide clocks were wound by hand until last spring.
"""

DIGEST_WITH_UNREADABLE_ITEM = DIGEST.replace(
    "Bridges of Paper\nSource: Morning Ledger | Date: 3 March 2016",
    "Bridges of Paper\nsomewhere, some time",
)


BLOG_LISTING = """Harbour Notes: recent posts

Lanterns Return to the Old Quay
Author Mira Coldwell 12.04.2010
Trend (8 April 2010) The lantern makers of the old quay opened their workshops again on Monday.

Nine of the twelve workshops had dried out.

Bridges of Paper
Author Teo Marsh 05.03.2016
Morning Ledger (3 March 2016) The paper bridge over the canal held for six hours.
"""

BLOG_LISTING_WITH_UNREADABLE_ITEM = BLOG_LISTING.replace(
    "Morning Ledger (3 March 2016) The paper", "The paper"
)
