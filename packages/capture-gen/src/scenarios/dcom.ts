/**
 * DCOM lateral movement through MMC20.Application (Document.ActiveView.ExecuteShellCommand).
 */
import { AUTH_LEVEL, btfn } from '../dcerpc/constants.js';
import { CLSID, IID } from '../dcom/guids.js';
import {
  activationOk,
  activationRequest,
  ctxNdr,
  type ExporterInfo,
  getIdsOfNames,
  IF,
  invokeGetDispatch,
  invokeMethodStrings,
} from './flows.js';
import type { ScenarioDefinition } from './types.js';
import { ALICE, HOSTS, type World } from './world.js';

const MMC_EXPORTER: ExporterInfo = {
  port: 49155,
  oxid: 0x5a7e1c9d3b2f4e61n,
  oid: 0x0f1e2d3c4b5a6978n,
  ipid: '00001c02-0dc4-0000-3f8a-61b2c9d0e4f5',
  ipidRemUnknown: '00005c01-0dc4-0000-7d21-e0c4a8b91f36',
  authnHint: AUTH_LEVEL.integrity,
};

export const MMC_IDS = {
  classFactoryIpid: '00001802-0dc4-0000-8c3e-5d7f90a1b2c4',
  applicationIpid: MMC_EXPORTER.ipid,
  documentIpid: '00002003-0dc4-0000-4b6d-8e1f2a3c5d7e',
  activeViewIpid: '00002404-0dc4-0000-9a2b-3c4d5e6f7081',
  dispIdDocument: 0x00000004,
  dispIdActiveView: 0x00000009,
  dispIdExecuteShellCommand: 0x00000034,
};

export const MMC_ARGS = ['cmd.exe', 'C:\\Windows\\System32', '/c whoami > C:\\Windows\\Temp\\mmc.txt', '7'];

export const dcomMmc20: ScenarioDefinition = {
  name: 'dcom-mmc20',
  title: 'DCOM lateral movement with MMC20.Application: ExecuteShellCommand through IDispatch::Invoke',
  summary:
    'WS01 authenticates to SERVER:135 with NTLM (CORP\\alice) at level connect and calls RemoteGetClassObject (opnum 3) and ' +
    'then RemoteCreateInstance (opnum 4) for MMC20.Application 49b2791a-b1ae-4c90-9b8e-e860ba07f889 (IIDs IClassFactory and ' +
    'IDispatch). On the dynamic port 49155 it binds IDispatch at packet integrity and walks Document -> ActiveView with ' +
    'GetIDsOfNames / Invoke(PROPERTYGET), then calls ExecuteShellCommand("cmd.exe", "C:\\Windows\\System32", ' +
    '"/c whoami > C:\\Windows\\Temp\\mmc.txt", "7") via IDispatch::Invoke.',
  proves: [
    'activation CLSID read from RemoteGetClassObject (opnum 3) as well as RemoteCreateInstance (opnum 4)',
    'DCOM CLSID watch-list match for MMC20.Application',
    'IDispatch method name (GetIDsOfNames) and BSTR arguments (Invoke) decoded: the shell command is visible',
  ],
  build(w: World) {
    const orpc = { cid: w.rng.uuid(), minor: 7 };
    const scm = w.connect({
      id: 'scm',
      client: HOSTS.ws01,
      server: HOSTS.server,
      clientPort: 50321,
      serverPort: 135,
      style: 'windows',
    });
    scm.bind({
      contexts: [ctxNdr(0, IF.ISystemActivator), { contextId: 1, iface: IF.ISystemActivator, transfer: [btfn()] }],
      security: w.ntlm(ALICE, { level: AUTH_LEVEL.connect, authContextId: 0, style: 'windows' }),
    });
    const gco = {
      contextId: 0,
      opnum: 3 as const,
      clsid: CLSID.MMC20Application,
      iid: IID.IClassFactory,
      style: 'windows' as const,
      orpc,
    };
    const c1 = activationRequest(scm, gco);
    w.net.advance(2_000);
    activationOk(w.rec, scm, c1, gco, { ...MMC_EXPORTER, ipid: MMC_IDS.classFactoryIpid });
    w.net.advance(800);
    const rci = { ...gco, opnum: 4 as const, iid: IID.IDispatch };
    const c2 = activationRequest(scm, rci);
    w.net.advance(4_000);
    activationOk(w.rec, scm, c2, rci, MMC_EXPORTER);
    scm.close();
    w.net.advance(2_000);

    const app = w.connect({
      id: 'dcom',
      client: HOSTS.ws01,
      server: HOSTS.server,
      clientPort: 50322,
      serverPort: MMC_EXPORTER.port,
      style: 'windows',
    });
    app.bind({
      contexts: [ctxNdr(0, IF.IDispatch), { contextId: 1, iface: IF.IDispatch, transfer: [btfn()] }],
      security: w.ntlm(ALICE, { level: AUTH_LEVEL.integrity, authContextId: 0, style: 'windows' }),
    });
    const e = { oxid: MMC_EXPORTER.oxid, oid: MMC_EXPORTER.oid };
    getIdsOfNames(w.rec, app, 0, MMC_IDS.applicationIpid, 'Document', MMC_IDS.dispIdDocument, orpc);
    invokeGetDispatch(
      w.rec,
      app,
      0,
      MMC_IDS.applicationIpid,
      MMC_IDS.dispIdDocument,
      'Document',
      { ...e, ipid: MMC_IDS.documentIpid },
      orpc,
    );
    getIdsOfNames(w.rec, app, 0, MMC_IDS.documentIpid, 'ActiveView', MMC_IDS.dispIdActiveView, orpc);
    invokeGetDispatch(
      w.rec,
      app,
      0,
      MMC_IDS.documentIpid,
      MMC_IDS.dispIdActiveView,
      'ActiveView',
      { ...e, ipid: MMC_IDS.activeViewIpid },
      orpc,
    );
    getIdsOfNames(
      w.rec,
      app,
      0,
      MMC_IDS.activeViewIpid,
      'ExecuteShellCommand',
      MMC_IDS.dispIdExecuteShellCommand,
      orpc,
    );
    invokeMethodStrings(
      w.rec,
      app,
      0,
      MMC_IDS.activeViewIpid,
      MMC_IDS.dispIdExecuteShellCommand,
      'ExecuteShellCommand',
      MMC_ARGS,
      orpc,
    );
    app.close();
    w.rec.sessionLinks.push({
      activationConnection: 'scm',
      objectConnection: 'dcom',
      by: 'oxid',
      ipid: MMC_EXPORTER.ipid,
      port: MMC_EXPORTER.port,
    });
  },
};
