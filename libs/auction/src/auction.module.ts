import { Global, Module } from '@nestjs/common';
import { AuctionService } from './auction.service.js';

@Global()
@Module({ providers: [AuctionService], exports: [AuctionService] })
export class AuctionModule {}
