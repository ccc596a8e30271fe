package macro

import "github.com/yuin/gopher-lua/ast"

// coerceForLoops makes numeric for loops accept strings, as Lua 5.3 does
// (rpm's macros write `for i = 1, rpm.expand("%#") do`): gopher-lua, a
// Lua 5.1, rejects a string start, limit or step, so each is wrapped in
// tonumber(), which leaves numbers alone and turns a non-numeric string
// into nil (an error, as in 5.3).
func coerceForLoops(stmts []ast.Stmt) {
	for _, s := range stmts {
		coerceStmt(s)
	}
}

func toNumber(e ast.Expr) ast.Expr {
	if e == nil {
		return nil
	}
	if _, ok := e.(*ast.NumberExpr); ok {
		return e
	}
	coerceExpr(e)
	call := &ast.FuncCallExpr{Func: &ast.IdentExpr{Value: "tonumber"}, Args: []ast.Expr{e}}
	call.SetLine(e.Line())
	call.SetLastLine(e.LastLine())
	call.Func.SetLine(e.Line())
	call.Func.SetLastLine(e.LastLine())
	return call
}

func coerceStmt(s ast.Stmt) {
	switch x := s.(type) {
	case *ast.NumberForStmt:
		x.Init, x.Limit, x.Step = toNumber(x.Init), toNumber(x.Limit), toNumber(x.Step)
		coerceForLoops(x.Stmts)
	case *ast.AssignStmt:
		coerceExprs(x.Lhs)
		coerceExprs(x.Rhs)
	case *ast.LocalAssignStmt:
		coerceExprs(x.Exprs)
	case *ast.FuncCallStmt:
		coerceExpr(x.Expr)
	case *ast.DoBlockStmt:
		coerceForLoops(x.Stmts)
	case *ast.WhileStmt:
		coerceExpr(x.Condition)
		coerceForLoops(x.Stmts)
	case *ast.RepeatStmt:
		coerceExpr(x.Condition)
		coerceForLoops(x.Stmts)
	case *ast.IfStmt:
		coerceExpr(x.Condition)
		coerceForLoops(x.Then)
		coerceForLoops(x.Else)
	case *ast.GenericForStmt:
		coerceExprs(x.Exprs)
		coerceForLoops(x.Stmts)
	case *ast.FuncDefStmt:
		coerceExpr(x.Func)
	case *ast.ReturnStmt:
		coerceExprs(x.Exprs)
	}
}

func coerceExprs(es []ast.Expr) {
	for _, e := range es {
		coerceExpr(e)
	}
}

// coerceExpr visits the function literals inside an expression.
func coerceExpr(e ast.Expr) {
	switch x := e.(type) {
	case *ast.FunctionExpr:
		coerceForLoops(x.Stmts)
	case *ast.AttrGetExpr:
		coerceExpr(x.Object)
		coerceExpr(x.Key)
	case *ast.TableExpr:
		for _, f := range x.Fields {
			coerceExpr(f.Key)
			coerceExpr(f.Value)
		}
	case *ast.FuncCallExpr:
		coerceExpr(x.Func)
		coerceExpr(x.Receiver)
		coerceExprs(x.Args)
	case *ast.LogicalOpExpr:
		coerceExpr(x.Lhs)
		coerceExpr(x.Rhs)
	case *ast.RelationalOpExpr:
		coerceExpr(x.Lhs)
		coerceExpr(x.Rhs)
	case *ast.StringConcatOpExpr:
		coerceExpr(x.Lhs)
		coerceExpr(x.Rhs)
	case *ast.ArithmeticOpExpr:
		coerceExpr(x.Lhs)
		coerceExpr(x.Rhs)
	case *ast.UnaryMinusOpExpr:
		coerceExpr(x.Expr)
	case *ast.UnaryNotOpExpr:
		coerceExpr(x.Expr)
	case *ast.UnaryLenOpExpr:
		coerceExpr(x.Expr)
	}
}
