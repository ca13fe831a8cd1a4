# Converts icloudpd VCR cassettes into compact JSON lists of CloudKit exchanges.
import yaml, json, sys, gzip, os
from urllib.parse import urlsplit
class L(yaml.SafeLoader): pass
L.add_constructor('tag:yaml.org,2002:python/unicode', lambda l,n: l.construct_scalar(n))
def compact(s):
    try: return json.dumps(json.loads(s), ensure_ascii=False, separators=(',',':'))
    except Exception: return s
src, dst = sys.argv[1], sys.argv[2]
d = yaml.load(open(src), Loader=L)
out = []
for it in d['interactions']:
    rq, rs = it['request'], it['response']
    u = urlsplit(rq['uri'])
    if 'ckdatabasews' not in u.netloc: continue
    p = u.path
    if p.endswith('/records/modify'): continue
    body = rs['body'].get('string') if isinstance(rs['body'], dict) else rs['body']
    out.append({"path": p.split('com.apple.photos.cloud/production/')[1], "request": compact(rq.get('body') or ''), "status": rs['status']['code'], "response": compact(body)})
with gzip.GzipFile(dst, 'wb', mtime=0) as f:
    f.write(json.dumps(out, ensure_ascii=False, indent=0).encode())
print(dst, len(out), os.path.getsize(dst))
