/**
 * CLSIDs whose remote activation matters for lateral-movement detection (RESEARCH.md §2.4), as data: the lead
 * can load a different list from configuration (`ClsidTable.from(entries)`), because the authoritative value
 * of an Office ProgID is the registry of the installed version.
 */

import { normalizeGuid } from '../util/guid.js';

export interface ClsidEntry {
  clsid: string;
  /** ProgID or coclass name, e.g. 'MMC20.Application'. */
  name: string;
  /** ATT&CK technique the activation maps to. */
  technique?: string;
  /** false when the value is not confirmed by a capture or vendor documentation. */
  verified: boolean;
  /** What is abused / where the value comes from. */
  note?: string;
}

export const DEFAULT_CLSIDS: readonly ClsidEntry[] = [
  {
    clsid: '8bc3f05e-d86b-11d0-a075-00c04fb68820',
    name: 'WbemLevel1Login',
    technique: 'T1047',
    verified: true,
    note: 'WMI (CLSID_WbemLevel1Login, MS-WMI 3.2.3; impacket wmi.py); observed in OTRF and Zeek captures',
  },
  {
    clsid: '49b2791a-b1ae-4c90-9b8e-e860ba07f889',
    name: 'MMC20.Application',
    technique: 'T1021.003',
    verified: true,
    note: 'Document.ActiveView.ExecuteShellCommand (impacket dcomexec.py); observed in suricata-verify dcerpc-ctxids',
  },
  {
    clsid: '9ba05972-f6a8-11cf-a442-00a0c90a8f39',
    name: 'ShellWindows',
    technique: 'T1021.003',
    verified: true,
    note: 'Item().Document.Application.ShellExecute (dcomexec.py); observed in OTRF empire_dcom_shellwindows',
  },
  {
    clsid: 'c08afd90-f2a1-11d1-8455-00a0c91f3880',
    name: 'ShellBrowserWindow',
    technique: 'T1021.003',
    verified: true,
    note: 'Document.Application.ShellExecute (dcomexec.py, Invoke-DCOM.ps1)',
  },
  {
    clsid: '00024500-0000-0000-c000-000000000046',
    name: 'Excel.Application',
    technique: 'T1021.003',
    verified: true,
    note: 'RegisterXLL / ExecuteExcel4Macro / DDEInitiate; observed in OTRF covenant_dcom_registerxll',
  },
  {
    clsid: '0002df01-0000-0000-c000-000000000046',
    name: 'InternetExplorer.Application',
    technique: 'T1021.003',
    verified: true,
    note: 'iertutil.dll hijack on activation; observed in OTRF covenant_dcom_iertutil_dll_hijack',
  },
  {
    clsid: '0006f03a-0000-0000-c000-000000000046',
    name: 'Outlook.Application',
    technique: 'T1021.003',
    verified: false,
    note: 'commonly cited value, not confirmed by a capture (RESEARCH.md §2.4)',
  },
];

/** Lookup table CLSID → entry. Immutable once built. */
export class ClsidTable {
  private readonly byClsid: ReadonlyMap<string, ClsidEntry>;

  private constructor(map: Map<string, ClsidEntry>) {
    this.byClsid = map;
  }

  /** Builds a table; entries with an invalid CLSID are returned in `rejected` instead of being dropped silently. */
  static from(entries: readonly ClsidEntry[]): { table: ClsidTable; rejected: ClsidEntry[] } {
    const map = new Map<string, ClsidEntry>();
    const rejected: ClsidEntry[] = [];
    for (const e of entries) {
      const id = normalizeGuid(e.clsid);
      if (!id) rejected.push(e);
      else map.set(id, { ...e, clsid: id });
    }
    return { table: new ClsidTable(map), rejected };
  }

  static readonly DEFAULT: ClsidTable = ClsidTable.from(DEFAULT_CLSIDS).table;

  get(clsid: string): ClsidEntry | undefined {
    return this.byClsid.get(clsid.toLowerCase());
  }

  name(clsid: string): string | undefined {
    return this.get(clsid)?.name;
  }

  entries(): ClsidEntry[] {
    return [...this.byClsid.values()];
  }
}
