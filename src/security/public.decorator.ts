import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'isPublic';

/** Marks a controller or route as open to callers without an API key (probes, scrapers). */
export const Public = () => SetMetadata(IS_PUBLIC, true);
