/**
 * Black-76 price and Greeks, or implied vol, from the command line.
 *   npm run price -- --type call --forward 100 --strike 95 --years 0.5 --vol 0.6 --rate 0.03
 *   npm run price -- --type call --forward 100 --strike 95 --years 0.5 --price 12.5 --rate 0.03
 * Exit codes: 0 ok, 2 bad arguments or no implied vol for the price.
 */
import { parseArgs } from 'node:util';

import { black76, impliedVol, type OptionType } from '@app/pricing';

const USAGE =
  'usage: price --type call|put --forward F --strike K --years T (--vol SIGMA | --price P) [--rate R]\n' +
  '  units: vol 0.6 = 60 %, years ACT/365, rate continuously compounded; --price is the discounted premium';

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function parseNumber(name: string, raw: string | undefined, required: boolean): number | undefined {
  if (raw === undefined) {
    if (required) fail(`missing --${name}`);
    return undefined;
  }
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value)) fail(`--${name} must be a number, got '${raw}'`);
  return value;
}

function main(): void {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        type: { type: 'string' },
        forward: { type: 'string' },
        strike: { type: 'string' },
        years: { type: 'string' },
        vol: { type: 'string' },
        price: { type: 'string' },
        rate: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const str = (key: string): string | undefined => {
    const v = values[key];
    return typeof v === 'string' ? v : undefined;
  };
  const type = str('type');
  if (type !== 'call' && type !== 'put') fail(`--type must be 'call' or 'put', got '${type ?? ''}'`);
  const optionType: OptionType = type;
  const forward = parseNumber('forward', str('forward'), true) as number;
  const strike = parseNumber('strike', str('strike'), true) as number;
  const years = parseNumber('years', str('years'), true) as number;
  const rate = parseNumber('rate', str('rate'), false) ?? 0;
  const vol = parseNumber('vol', str('vol'), false);
  const price = parseNumber('price', str('price'), false);
  if ((vol === undefined) === (price === undefined)) fail('give exactly one of --vol or --price');

  if (vol !== undefined) {
    let result;
    try {
      result = black76({ type: optionType, forward, strike, years, vol, rate });
    } catch (error) {
      fail(error instanceof Error ? error.message : String(error));
    }
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  const result = impliedVol({ type: optionType, forward, strike, years, rate, price: price as number });
  if (!result.ok) {
    process.stderr.write(`${JSON.stringify({ code: result.code, message: result.message }, null, 2)}\n`);
    process.exit(2);
  }
  process.stdout.write(
    `${JSON.stringify({ impliedVol: result.vol, iterations: result.iterations }, null, 2)}\n`,
  );
}

main();
