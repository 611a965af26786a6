import { Controller, Get, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ValidationFailedError } from '../common/domain.error';
import { ApiErrorResponses } from '../docs/api-error-responses.decorator';
import { ApiCommonErrorResponses } from '../docs/common-responses';
import { EventPage, EventResponse } from './dto/event.response';
import { ListEventsQuery } from './dto/list-events.query';
import { decodeCursor, encodeCursor, FEED_START } from './event-position';
import { EventsRepository } from './events.repository';

@ApiTags('events')
@ApiBearerAuth()
@ApiCommonErrorResponses()
@Controller('events')
export class EventsController {
  constructor(private readonly events: EventsRepository) {}

  @Get()
  @ApiOperation({
    summary:
      'The change feed: every balance transaction and hold change, once each, in one order that never changes; long poll with `waitSeconds`',
  })
  @ApiOkResponse({ type: EventPage })
  @ApiErrorResponses(ValidationFailedError)
  async list(@Query() query: ListEventsQuery): Promise<EventPage> {
    const page = await this.events.follow(
      query.after === undefined ? FEED_START : decodeCursor(query.after),
      query.limit,
      query.waitSeconds * 1_000,
    );
    return {
      items: page.items.map((row) => EventResponse.of(row)),
      nextCursor: encodeCursor(page.next),
    };
  }
}
