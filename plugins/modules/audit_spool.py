#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# The module is the action plugin plugins/action/audit_spool.py;
# its DOCUMENTATION, EXAMPLES and RETURN are in audit_spool.yml beside this file.
