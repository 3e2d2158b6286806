import { type DynamicModule, Global, Module } from '@nestjs/common';
import { AppConfig } from './app-config.js';
import { RuntimeKeys } from './runtime-keys.js';

/** Provides the parsed configuration and key material to every module. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig, keys: RuntimeKeys): DynamicModule {
    return {
      module: ConfigModule,
      providers: [
        { provide: AppConfig, useValue: config },
        { provide: RuntimeKeys, useValue: keys },
      ],
      exports: [AppConfig, RuntimeKeys],
    };
  }
}
