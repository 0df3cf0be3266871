/** replicate adapter — being built; see the core-library issue. */
import { ProviderError } from '../../core/errors.js';
import type { ImageProvider } from '../types.js';

export const replicateProvider: ImageProvider = {
  id: 'replicate',
  async run(call) {
    throw new ProviderError('the replicate adapter is not built yet', { model: call.model.id, provider: 'replicate' });
  },
};
