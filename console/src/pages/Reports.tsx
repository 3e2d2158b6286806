import { type FormEvent, useState } from 'react';
import { api, download, errorText, ok, type Schemas } from '../api';
import { ErrorText, Pager, PageTitle, Status, useCursorPages, useLoad, when } from '../ui';
import { importPublicKey, type Verdict, verifyReportDocument } from '../verify-report';
import { TaskProgress } from './TaskProgress';

type Kind = Schemas['GenerateReportDto']['kind'];
type Standard = NonNullable<Schemas['GenerateReportDto']['standard']>;
const KINDS: Kind[] = ['security', 'compliance', 'access_review', 'annual'];
const STANDARDS: Standard[] = ['soc2', 'pci_dss', 'gdpr', 'hipaa'];
const FORMATS = [
  { format: 'pdf', label: 'PDF' },
  { format: 'csv', label: 'CSV' },
  { format: 'json', label: 'JSON' },
] as const;

export function ReportsPage({ admin }: { admin: boolean }) {
  const pages = useCursorPages();
  const cursor = pages.cursor;
  const list = useLoad(() => ok(api.GET('/api/v1/reports', { params: { query: { limit: 20, cursor } } })), [cursor]);
  const key = useLoad(async () => {
    const k = await ok(api.GET('/api/v1/audit/public-key'));
    return { key: await importPublicKey(k.public_key_pem), keyId: k.key_id };
  }, []);

  return (
    <>
      <PageTitle>Reports</PageTitle>
      <Generate admin={admin} onGenerated={() => (pages.reset(), list.reload())} />
      <section aria-labelledby="stored-h">
        <h2 id="stored-h">Stored reports</h2>
        <Status loaded={list}>
          {(l) => (
            <>
              {l.items.length === 0 ? (
                <p>No report stored yet.</p>
              ) : (
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Report</th>
                      <th scope="col">Period</th>
                      <th scope="col">Generated</th>
                      <th scope="col">Signature</th>
                      <th scope="col">Download</th>
                    </tr>
                  </thead>
                  <tbody>
                    {l.items.map((r) => (
                      <ReportRow key={r.id} report={r} verifier={key.data} keyError={key.error} />
                    ))}
                  </tbody>
                </table>
              )}
              <Pager pages={pages} next={l.next_cursor} />
            </>
          )}
        </Status>
      </section>
    </>
  );
}

const reportTitle = (r: Schemas['ReportSummaryDto']) => `${r.kind.replace('_', ' ')}${r.standard ? ` (${r.standard})` : ''}`;

function ReportRow({ report, verifier, keyError }: { report: Schemas['ReportSummaryDto']; verifier?: { key: CryptoKey; keyId: string }; keyError?: string }) {
  const [verdict, setVerdict] = useState<Verdict>();
  const [checking, setChecking] = useState(false);
  const [problem, setProblem] = useState<string>();
  // On request only: checking downloads the signed document, which the API audits as a download.
  // Opening the page must not write a row per listed report that nobody asked to read.
  const check = () => {
    if (!verifier) return;
    setChecking(true);
    ok(api.GET('/api/v1/reports/{id}', { params: { path: { id: report.id }, query: { format: 'json' } } }))
      .then((doc) => verifyReportDocument(doc as unknown as Record<string, unknown>, verifier.key, verifier.keyId))
      .then(setVerdict, (e: unknown) => setVerdict({ valid: false, reason: errorText(e) }))
      .finally(() => setChecking(false));
  };
  const title = reportTitle(report);
  return (
    <tr>
      <th scope="row">
        {title} <small>({report.id})</small>
      </th>
      <td>
        {when(report.period.from)} – {when(report.period.to)}
      </td>
      <td>
        {when(report.generated_at)} by {report.generated_by}
      </td>
      <td data-verdict={verdict ? (verdict.valid ? 'valid' : 'invalid') : checking ? 'checking' : 'unchecked'}>
        {keyError ? (
          `cannot check: ${keyError}`
        ) : verdict ? (
          (verdict.valid ? '✓ ' : '✗ ') + verdict.reason
        ) : (
          <button type="button" disabled={!verifier || checking} onClick={check} aria-label={`Check the signature of ${title} ${report.period.from.slice(0, 10)}`}>
            {checking ? 'Checking…' : 'Check signature'}
          </button>
        )}
      </td>
      <td className="downloads">
        {FORMATS.map(({ format, label }) => (
          <button
            key={format}
            type="button"
            aria-label={`Download ${title} ${report.period.from.slice(0, 10)} as ${label}`}
            onClick={() => download(`/api/v1/reports/${encodeURIComponent(report.id)}?format=${format}`, `${report.id}.${format}`).catch((e: unknown) => setProblem(errorText(e)))}
          >
            {label}
          </button>
        ))}
        <ErrorText error={problem} />
      </td>
    </tr>
  );
}

function Generate({ admin, onGenerated }: { admin: boolean; onGenerated: () => void }) {
  const [kind, setKind] = useState<Kind>('security');
  const [standard, setStandard] = useState<Standard>('soc2');
  const [background, setBackground] = useState(false);
  const [task, setTask] = useState<string>();
  const [message, setMessage] = useState<string>();
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setProblem(undefined);
    setMessage(undefined);
    setTask(undefined);
    try {
      const r = await ok(
        api.POST('/api/v1/reports', { body: { kind, ...(kind === 'compliance' ? { standard } : {}), ...(admin && background ? { background: true } : {}) } }),
      );
      if (r.status === 'pending' && r.task_id) setTask(r.task_id);
      else {
        setMessage(r.deduplicated ? 'This period was already reported: the stored report is listed below.' : 'Report generated.');
        onGenerated();
      }
    } catch (err) {
      setProblem(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="gen-h">
      <h2 id="gen-h">Generate a report</h2>
      <form className="filters" onSubmit={submit}>
        <label>
          Kind
          <select value={kind} onChange={(e) => setKind(e.target.value as Kind)}>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {k.replace('_', ' ')}
              </option>
            ))}
          </select>
        </label>
        {kind === 'compliance' ? (
          <label>
            Standard
            <select value={standard} onChange={(e) => setStandard(e.target.value as Standard)}>
              {STANDARDS.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          </label>
        ) : null}
        {admin ? (
          <label className="check">
            <input type="checkbox" checked={background} onChange={(e) => setBackground(e.target.checked)} />
            In the background
          </label>
        ) : null}
        <button type="submit" disabled={busy}>
          Generate
        </button>
      </form>
      {task ? <TaskProgress id={task} label="Report" onFinished={onGenerated} /> : null}
      {message ? <p role="status">{message}</p> : null}
      <ErrorText error={problem} />
    </section>
  );
}
