'use strict';
// Layout checks shared by the dashboard tests.

const assert = require('node:assert/strict');

/** Fails when anything on the page reaches past the viewport's width (the page scrolls sideways). */
async function assertNoSidewaysOverflow(page, what) {
    const overflow = await page.evaluate(() => {
        const width = document.documentElement.clientWidth;
        const wide = [...document.querySelectorAll('body *')]
            .filter((e) => e.getClientRects().length > 0 && !e.closest('.table-wrap'))
            .filter((e) => e.getBoundingClientRect().right > width + 0.5)
            .map((e) => `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}${e.className && typeof e.className === 'string' ? `.${e.className}` : ''}`);
        return { scroll: document.documentElement.scrollWidth, width, wide: wide.slice(0, 10) };
    });
    assert.ok(overflow.scroll <= overflow.width && overflow.wide.length === 0, `${what}: the page is wider than the screen: ${JSON.stringify(overflow)}`);
}

module.exports = { assertNoSidewaysOverflow };
