using System.Globalization;
using Scriban;
using Scriban.Parsing;
using Scriban.Runtime;
using Scriban.Syntax;

namespace Fabric.Boot.Rendering;

/// <summary>
/// The Scriban context of one render. What a template can do is decided here:
/// <list type="bullet">
/// <item>every value written by <c>{{ expression }}</c> goes through <see cref="BootText.Escape(string?)"/>; only the
/// template's own text is written as it is;</item>
/// <item>an empty string is false in <c>if</c> (the model uses empty for "absent");</item>
/// <item>no .NET member is ever reflected (<see cref="TemplateContext.MemberFilter"/> refuses all): a template sees
/// the <see cref="ScriptObject"/> model it is given and the built-in functions, nothing else;</item>
/// <item>an unknown variable or member is an error (strict), not an empty string;</item>
/// <item>loops, recursion, includes and the output size are bounded; past a limit the render fails, nothing is
/// truncated.</item>
/// </list>
/// </summary>
internal sealed class BootTemplateContext : TemplateContext
{
    private int _includeDepth;

    public BootTemplateContext(ScriptObject builtins, BootRenderOptions options)
        : base(builtins, StringComparer.Ordinal)
    {
        StrictVariables = true;
        EnableRelaxedMemberAccess = false;
        EnableRelaxedFunctionAccess = false;
        EnableRelaxedTargetAccess = false;
        EnableNullIndexer = false;
        MemberFilter = static _ => false;
        MemberRenamer = static member => member.Name;
        LoopLimit = options.LoopLimit;
        LoopLimitQueryable = options.LoopLimit;
        RecursiveLimit = options.RecursiveLimit;
        OutputLimit = options.MaxOutputChars;
        OnOutputLimit = ScriptLimitBehavior.Throw;
        LimitToString = options.MaxOutputChars;
        RegexTimeOut = TimeSpan.FromMilliseconds(100);
        NewLine = "\n";
        TemplateLoader = null;
    }

    /// <summary>The renderer that keeps this context for reuse on its thread.</summary>
    public object? Owner { get; init; }

    /// <summary>The partials of the set the current render comes from.</summary>
    public IReadOnlyDictionary<string, BootTemplate> Partials { get; set; } = new Dictionary<string, BootTemplate>();

    /// <summary>How deep <c>include</c> may nest (a partial including itself stops here).</summary>
    public int MaxIncludeDepth { get; init; } = 16;

    public override TemplateContext Write(SourceSpan span, object? textAsObject)
    {
        if (textAsObject is null)
        {
            return this;
        }

        var text = textAsObject as string ?? ObjectToString(textAsObject);
        return Write(BootText.Escape(text));
    }

    public override ValueTask<TemplateContext> WriteAsync(SourceSpan span, object? textAsObject) =>
        ValueTask.FromResult(Write(span, textAsObject));

    public override bool ToBool(SourceSpan span, object? value) =>
        value is string text ? text.Length > 0 : base.ToBool(span, value);

    /// <summary><c>{{ include "NAME" }}</c>: renders <c>partials/NAME.sbn</c> of the same folder in place, with the same
    /// model and escaping. Only names made of letters, digits, <c>-</c> and <c>_</c> exist, so nothing outside the
    /// folder can be named.</summary>
    internal object? Include(string name)
    {
        var span = CurrentNode?.Span ?? default;
        var partial = Partials.GetValueOrDefault(name);
        if (partial?.Compiled is null)
        {
            throw new ScriptRuntimeException(span, partial?.Problem is { } problem
                ? $"partial '{BootText.Escape(name)}' is broken: {problem.ToStringWithoutPath()}"
                : $"there is no partial '{BootText.Escape(name)}' (partials/NAME{BootTemplates.PartialExtension} in the templates folder)");
        }

        if (_includeDepth >= MaxIncludeDepth)
        {
            throw new ScriptRuntimeException(span, string.Create(CultureInfo.InvariantCulture, $"include nested deeper than {MaxIncludeDepth} (a partial that includes itself?)"));
        }

        _includeDepth++;
        PushSourceFile(partial.Path);
        try
        {
            Evaluate(partial.Compiled.Page!);
        }
        finally
        {
            PopSourceFile();
            _includeDepth--;
        }

        return null;
    }

    /// <summary>The built-in functions templates may call: Scriban's own, without <c>include</c> (replaced by one that
    /// stays in the templates folder) and without <c>object.eval</c> / <c>object.eval_template</c> (nothing from the
    /// registry is ever run as a template). Shared by every render, so it is made read-only.</summary>
    public static ScriptObject CreateBuiltins()
    {
        var builtins = GetDefaultBuiltinObject();
        builtins.Remove("include");
        if (builtins["object"] is ScriptObject objectFunctions)
        {
            objectFunctions.Remove("eval");
            objectFunctions.Remove("eval_template");
        }

        builtins.Import("include", new Func<TemplateContext, string, object?>(static (context, name) => ((BootTemplateContext)context).Include(name)));
        MakeReadOnly(builtins);
        return builtins;
    }

    private static void MakeReadOnly(ScriptObject scriptObject)
    {
        foreach (var value in scriptObject.Values)
        {
            if (value is ScriptObject nested && !nested.IsReadOnly)
            {
                MakeReadOnly(nested);
            }
        }

        scriptObject.IsReadOnly = true;
    }
}
