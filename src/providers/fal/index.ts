/** fal adapter — being built; see the core-library issue. */
import { ProviderError } from '../../core/errors.js';
import type { ImageProvider } from '../types.js';

export const falProvider: ImageProvider = {
  id: 'fal',
  async run(call) {
    throw new ProviderError('the fal adapter is not built yet', { model: call.model.id, provider: 'fal' });
  },
};
