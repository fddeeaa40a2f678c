import type { PluginRating } from './registry.entity.js';
import { caller, pluginFixture } from '@test/support/fixtures.js';
import { type RegistryHarness, registryHarness } from '@test/support/registry.js';
import { beforeEach, describe, expect, it } from 'vitest';

let h: RegistryHarness;
beforeEach(() => {
  h = registryHarness();
});

const rating = (r: number): PluginRating => ({
  id: 'r',
  key: 'acme.x',
  userId: 'u1',
  rating: r,
  text: '',
  createdAt: new Date(0),
  updatedAt: new Date(0),
});

describe('PluginReviewsService.rate', () => {
  it('applies the difference to the totals and writes the exact average', async () => {
    h.plugins.find.mockResolvedValue(pluginFixture());
    h.ratings.upsert.mockResolvedValue({ previous: 4, review: rating(2) });
    h.plugins.addToRatingTotals.mockResolvedValue({ sum: 7, count: 3 });
    h.plugins.setRatingIfCurrent.mockResolvedValue(undefined);
    const res = await h.reviews.rate(caller('u1'), 'acme.x', { rating: 2 });
    expect(res.created).toBe(false);
    expect(h.plugins.addToRatingTotals).toHaveBeenCalledWith('acme.x', -2, 0);
    expect(h.plugins.setRatingIfCurrent).toHaveBeenCalledWith('acme.x', { sum: 7, count: 3 }, 2.33);
  });

  it('refuses owners rating their own plugin', async () => {
    h.plugins.find.mockResolvedValue(pluginFixture());
    await expect(h.reviews.rate(caller('owner'), 'acme.x', { rating: 5 })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      details: { reason: 'own_plugin' },
    });
  });

  it('treats a platform admin as a rater, not as the plugin’s owner', async () => {
    h.plugins.find.mockResolvedValue(pluginFixture({ hasApproved: false, ownerId: 'someone' }));
    await expect(h.reviews.rate(caller('u1', ['admin']), 'acme.x', { rating: 5 })).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { reason: 'not_approved' },
    });
  });
});
