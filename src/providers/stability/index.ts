/** stability adapter — being built; see the core-library issue. */
import { ProviderError } from '../../core/errors.js';
import type { ImageProvider } from '../types.js';

export const stabilityProvider: ImageProvider = {
  id: 'stability',
  async run(call) {
    throw new ProviderError('the stability adapter is not built yet', { model: call.model.id, provider: 'stability' });
  },
};
