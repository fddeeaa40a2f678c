import 'reflect-metadata';
import { HELLO } from '@app/common';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';

@Controller()
class C {
  @Get('x') x() { return { HELLO }; }
}
@Module({ controllers: [C] })
class M {}
const app = await NestFactory.create(M, new FastifyAdapter());
await app.listen(3999);
console.log('up');
