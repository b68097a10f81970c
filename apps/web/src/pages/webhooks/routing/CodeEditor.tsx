import { javascript } from '@codemirror/lang-javascript';
import { json } from '@codemirror/lang-json';
import CodeMirror, { EditorView } from '@uiw/react-codemirror';
import { useMemo } from 'react';

export type CodeLanguage = 'json' | 'javascript';

export interface CodeEditorProps {
  language: CodeLanguage;
  value: string;
  onChange: (value: string) => void;
  /** The id of the label naming the editor, and of the hint or error describing it. */
  labelledBy: string;
  describedBy?: string;
  invalid?: boolean;
  placeholder?: string;
}

/**
 * Long lines scroll inside the editor, never the page; 16 px text on a phone, so it does not zoom
 * on focus. The focus ring is the frame's (as an input's), not the page's outline on the text.
 */
const LOOK = EditorView.theme({
  '&': { fontSize: '12px', backgroundColor: '#fff' },
  '&.cm-focused, .cm-content:focus-visible': { outline: 'none' },
  '.cm-scroller': { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, monospace', lineHeight: '1.6' },
  '.cm-gutters': { backgroundColor: '#f8fafc', borderRight: '1px solid #e2e8f0', color: '#94a3b8' },
  '@media (max-width: 639px)': { '&': { fontSize: '16px' } },
});

/**
 * A CodeMirror 6 editor for JSON or JavaScript. Loaded on demand (it is most of the size of a
 * routing editor): import it through `CodeField`, never directly.
 */
export default function CodeEditor({
  language,
  value,
  onChange,
  labelledBy,
  describedBy,
  invalid,
  placeholder,
}: CodeEditorProps) {
  const extensions = useMemo(
    () => [
      language === 'json' ? json() : javascript(),
      LOOK,
      EditorView.contentAttributes.of({
        'aria-labelledby': labelledBy,
        ...(describedBy ? { 'aria-describedby': describedBy } : {}),
        ...(invalid ? { 'aria-invalid': 'true' } : {}),
      }),
    ],
    [language, labelledBy, describedBy, invalid],
  );
  return (
    <CodeMirror
      value={value}
      onChange={onChange}
      extensions={extensions}
      placeholder={placeholder}
      minHeight="7rem"
      maxHeight="18rem"
      indentWithTab={false}
      basicSetup={{ foldGutter: false, highlightActiveLine: false, searchKeymap: false }}
      className={`overflow-hidden rounded-lg ring-1 ${invalid ? 'ring-red-500' : 'ring-slate-300'} focus-within:ring-2 focus-within:ring-primary-500`}
    />
  );
}
