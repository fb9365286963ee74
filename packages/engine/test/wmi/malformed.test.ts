import { describe, expect, it } from 'vitest';
import { decodeStub, hasStubDecoder, isDecodedInterface } from '../../src/wmi/decode.js';
import type { StubInsight } from '../../src/wmi/insight.js';
import { IID } from '../../src/wmi/interfaces.js';
import { parseObjRef } from '../../src/wmi/orpc.js';
import { parseEncodingUnit } from '../../src/wmi/wmio.js';
import * as fx from './fixtures.js';

interface Case {
  name: string;
  iface: string;
  opnum: number;
  request: boolean;
  stub: Uint8Array;
}

const CASES: Case[] = [
  {
    name: 'RemoteCreateInstance request',
    iface: IID.ISystemActivator,
    opnum: 4,
    request: true,
    stub: fx.SHARPWMI_ACTIVATION_REQ,
  },
  {
    name: 'RemoteCreateInstance response',
    iface: IID.ISystemActivator,
    opnum: 4,
    request: false,
    stub: fx.SHARPWMI_ACTIVATION_RESP,
  },
  {
    name: 'RemoteGetClassObject request',
    iface: IID.ISystemActivator,
    opnum: 3,
    request: true,
    stub: fx.MMC20_GETCLASSOBJECT_REQ,
  },
  {
    name: 'ResolveOxid2 response',
    iface: IID.IObjectExporter,
    opnum: 4,
    request: false,
    stub: fx.SHELLWINDOWS_RESOLVEOXID2_RESP,
  },
  { name: 'NTLMLogin request', iface: IID.IWbemLevel1Login, opnum: 6, request: true, stub: fx.SHARPWMI_NTLMLOGIN_REQ },
  {
    name: 'SetClientInfoEx request',
    iface: IID.IWbemLoginClientIDEx,
    opnum: 3,
    request: true,
    stub: fx.SHARPWMI_SETCLIENTINFOEX_REQ,
  },
  { name: 'ExecMethod request', iface: IID.IWbemServices, opnum: 24, request: true, stub: fx.WMIEXEC_EXECMETHOD_REQ },
  {
    name: 'ExecMethod response',
    iface: IID.IWbemServices,
    opnum: 24,
    request: false,
    stub: fx.WMIEXEC_EXECMETHOD_RESP,
  },
  {
    name: 'Invoke request',
    iface: IID.IDispatch,
    opnum: 6,
    request: true,
    stub: fx.MMC20_INVOKE_EXECUTESHELLCOMMAND_REQ,
  },
  { name: 'Invoke response', iface: IID.IDispatch, opnum: 6, request: false, stub: fx.MMC20_INVOKE_PROPGET_RESP },
];

const decode = (c: Case, stub: Uint8Array) =>
  decodeStub({ iface: c.iface, opnum: c.opnum, request: c.request, stub, littleEndian: true }) as StubInsight;

/** Every field a damaged stub yields must be the value of the intact stub: damage may lose data, never invent it. */
function expectSubsetOf(part: StubInsight, full: StubInsight, label: string): void {
  expect(
    part.problems.some((p) => p.where === 'decoder.internal'),
    label,
  ).toBe(false);
  for (const key of ['wmi', 'dcom'] as const) {
    const p = part[key] as Record<string, unknown> | undefined;
    if (!p) continue;
    // Anything the damaged stub reports, the intact one reports too.
    const f = full[key] as Record<string, unknown>;
    expect(f, `${label}: ${key}`).toBeDefined();
    for (const [k, v] of Object.entries(p)) {
      if (k === 'decoded_by') continue;
      if (key === 'wmi' && k === 'command_line' && p.decoded_by === 'heuristic') {
        // The string fallback may only see the start of a cut command line.
        expect(String(f.command_line).startsWith(String(v)), `${label}: ${k}`).toBe(true);
        continue;
      }
      if (k === 'args_truncated') continue;
      if (k === 'args' && p.args_truncated) {
        // rgvarg is last-first: a cut stub keeps the last arguments.
        const fa = f.args as string[];
        expect(v, `${label}: args`).toEqual(fa.slice(fa.length - (v as string[]).length));
        continue;
      }
      if (k === 'arg_values') {
        const fv = f.arg_values as string[];
        expect((v as string[]).length, `${label}: arg_values`).toBe(fv.length);
        (v as string[]).forEach((x, i) => {
          if (x !== 'undecoded') expect(x, `${label}: arg_values[${i}]`).toBe(fv[i]);
        });
        continue;
      }
      if (k === 'properties' || k === 'args' || k === 'ipids' || k === 'iids' || k === 'hresults') {
        // Lists and maps: what is there is a prefix / subset of the intact one.
        if (Array.isArray(v)) expect(v, `${label}: ${k}`).toEqual((f[k] as unknown[]).slice(0, v.length));
        else
          for (const [pk, pv] of Object.entries(v as object))
            expect(pv, `${label}: ${k}.${pk}`).toEqual((f[k] as Record<string, unknown>)[pk]);
        continue;
      }
      if (k === 'oxid_bindings' || k === 'security_services') {
        expect(v, `${label}: ${k}`).toEqual((f[k] as unknown[]).slice(0, (v as unknown[]).length));
        continue;
      }
      expect(v, `${label}: ${key}.${k}`).toEqual(f[k]);
    }
  }
}

describe('damaged stubs', () => {
  for (const c of CASES) {
    it(`${c.name}: every truncation decodes without throwing and without inventing values`, () => {
      const full = decode(c, c.stub);
      expect(full.problems).toEqual([]);
      for (let n = 0; n < c.stub.length; n++) expectSubsetOf(decode(c, c.stub.subarray(0, n)), full, `length ${n}`);
    });
  }

  it('random byte corruption never throws (seeded, 200 mutations per stub)', () => {
    let seed = 0x9e3779b9;
    const rnd = (n: number) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    for (const c of CASES) {
      for (let i = 0; i < 200; i++) {
        const b = c.stub.slice();
        for (let k = 0; k < 1 + rnd(8); k++) b[rnd(b.length)] = rnd(256);
        const r = decode(c, b);
        expect(
          r.problems.some((p) => p.where === 'decoder.internal'),
          `${c.name} mutation ${i}`,
        ).toBe(false);
      }
    }
  });

  it('a cut ExecMethod still yields the start of the command line, marked heuristic', () => {
    // Cut 20 characters into the UTF-16 command line of the instance heap (its first unit is at 0x73a).
    const r = decode(CASES[6], fx.WMIEXEC_EXECMETHOD_REQ.subarray(0, 0x73b + 40));
    expect(r.wmi).toMatchObject({
      class: 'Win32_Process',
      method: 'Create',
      command_line: 'cmd.exe /Q /c cd \\ 1',
      decoded_by: 'heuristic',
    });
    expect(r.problems.map((p) => p.code)).toContain('truncated');
  });

  it('OBJREF and MS-WMIO parsers report bad signatures', () => {
    expect(parseObjRef(new Uint8Array(32)).problems[0].code).toBe('bad_signature');
    expect(parseEncodingUnit(Uint8Array.of(0x78, 0x56, 0x34, 0x13, 0, 0, 0, 0, 2)).problems[0].code).toBe(
      'bad_signature',
    );
  });

  it('unknown interfaces give null; known ones without a decoder give the HRESULT only', () => {
    expect(
      decodeStub({
        iface: '12345678-1234-abcd-ef00-0123456789ab',
        opnum: 0,
        request: true,
        stub: new Uint8Array(8),
        littleEndian: true,
      }),
    ).toBeNull();
    expect(isDecodedInterface(IID.IWbemWCOSmartEnum)).toBe(true);
    expect(hasStubDecoder(IID.IWbemWCOSmartEnum, 3, false)).toBe(false);
    const r = decodeStub({
      iface: IID.IWbemWCOSmartEnum,
      opnum: 3,
      request: false,
      stub: Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0x03, 0x10, 0x04, 0x80),
      littleEndian: true,
    });
    expect(r).toEqual({ hresult: 0x80041003, problems: [] }); // WBEM_E_ACCESS_DENIED
  });
});
